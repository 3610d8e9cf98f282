package org.kvplace.examples;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.memory.TierKind;
import org.kvplace.examples.llama.CacheConfig;
import org.kvplace.examples.llama.GgufTensor;
import org.kvplace.examples.llama.LlamaConfig;
import org.kvplace.examples.llama.LlamaDecoder;
import org.kvplace.examples.llama.LlamaModel;
import org.kvplace.examples.llama.Sampler;
import org.kvplace.kernels.MatVec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvplace bench}: decode speed of a Llama GGUF at a given context depth, for each thread
 * count in turn, with the time split between matrix-vector products and attention and the bytes a
 * step reads against the machine's memory read baseline measured in the same run.
 */
@Command(name = "bench", description = {
    "Measure decode speed at a context depth: tokens/s, matvec/attention split, bytes read vs memory bandwidth.",
    "",
    "Each run builds a fresh cache, fills --depth positions (random keys and values, or the model's own forward"
        + " passes with --fill model), decodes --warmup tokens untimed and then --tokens tokens timed (greedy)."
        + " Thread counts alternate run by run; the summary gives medians. Bytes per token are the weights a"
        + " forward pass reads (every block tensor, the output matrix and one embedding row) plus the KV bytes"
        + " attention read; they are divided by the step time and compared with a plain vectorised read of a"
        + " buffer (--baseline-mib, best of 3) on 1 and on N threads, measured just before each timed decode. cpu_ms is the decoding thread's CPU time per"
        + " token: far below ms/token, the machine did not run it (other load)."},
        footer = {"", "Example (the model from 'kvplace make-model'):",
            "  kvplace bench --model kvplace-out/models/tiny-q8.gguf --depth 2048 --tokens 16 --threads 1,2 --runs 5%n"})
final class BenchCommand implements Callable<Integer> {

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--model", paramLabel = "FILE", description = "GGUF model (default ${DEFAULT-VALUE})")
    String model = DecodeCommand.DEFAULT_MODEL;

    @Option(names = "--depth", paramLabel = "N", description = "positions in the context before the timed tokens"
            + " (default ${DEFAULT-VALUE})")
    int depth = 2048;

    @Option(names = "--tokens", paramLabel = "N", description = "timed tokens per run (default ${DEFAULT-VALUE})")
    int tokens = 16;

    @Option(names = "--warmup", paramLabel = "N", description = "untimed tokens per run before the timed ones"
            + " (default ${DEFAULT-VALUE})")
    int warmup = 2;

    @Option(names = "--threads", paramLabel = "N[,N...]", split = ",", description = "thread counts, alternated"
            + " run by run (default 1)")
    int[] threads = {1};

    @Option(names = "--runs", paramLabel = "R", description = "runs per thread count (default ${DEFAULT-VALUE})")
    int runs = 3;

    @Option(names = "--fill", paramLabel = "random|model", description = "how the depth is filled: random keys and"
            + " values appended directly (fast), or forward passes of the model on random tokens (default"
            + " ${DEFAULT-VALUE})")
    String fill = "random";

    @Option(names = "--kv-type", paramLabel = "f32|f16", converter = DecodeCommand.KvType.class,
            description = "element type of the cached keys and values (default f32)")
    ElementType kvType = ElementType.F32;

    @Option(names = "--page-tokens", paramLabel = "P", description = "tokens per KV page (default ${DEFAULT-VALUE})")
    int pageTokens = 16;

    @Option(names = "--baseline-mib", paramLabel = "MIB", description = "size of the buffer the read baseline"
            + " reads, well above the last-level cache (default ${DEFAULT-VALUE})")
    int baselineMib = 1024;

    BenchCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** One timed run. */
    private record Result(int threads, double tokensPerSecond, double msPerToken, double matvecMs,
            double attentionMs, double bytesPerToken, double kvBytesPerToken, double baseline1, double baselineN,
            double fillSeconds, double cpuMs) {

        double gbPerSecond() {
            return bytesPerToken / (msPerToken * 1e6);
        }
    }

    @Override
    public Integer call() throws Exception {
        int depth = Main.range("--depth", this.depth, 0, 1 << 24);
        int tokens = Main.range("--tokens", this.tokens, 1, 1 << 20);
        int warmup = Main.range("--warmup", this.warmup, 0, 1 << 20);
        int runs = Main.range("--runs", this.runs, 1, 1000);
        int pageTokens = Main.range("--page-tokens", this.pageTokens, 1, 1 << 16);
        int baselineMib = Main.range("--baseline-mib", this.baselineMib, 1, 1 << 20);
        int cores = Runtime.getRuntime().availableProcessors();
        for (int n : threads) {
            Main.range("--threads", n, 1, 4 * cores);
        }
        if (!fill.equals("random") && !fill.equals("model")) {
            throw new UsageException("--fill must be random or model, got '" + fill + "'");
        }
        Path path = InputFiles.regularFile("--model", "model file", model);
        try (LlamaModel m = LlamaModel.load(path); Arena arena = Arena.ofShared()) {
            LlamaConfig c = m.config();
            int maxTokens = depth + warmup + tokens;
            if (maxTokens > c.contextLength()) {
                throw new UsageException("--depth " + depth + " + --warmup " + warmup + " + --tokens " + tokens + " = "
                        + maxTokens + " positions; the model's context is " + c.contextLength());
            }
            CacheConfig cc = new CacheConfig(pageTokens, -1, -1, Double.POSITIVE_INFINITY, kvType);
            int needed = cc.pagesNeeded(c, maxTokens);
            long pageBytes = new org.kvplace.core.layout.PageLayout(pageTokens, c.kvHeads(), c.headDim(), kvType)
                    .pageBytes();
            TierMemory.check("--depth " + depth + " --page-tokens " + pageTokens, (needed + 1) / 2, needed,
                    pageBytes);
            long weightBytes = weightBytesPerToken(m);
            err.printf("model      %s: %d layers, dim %d, %d heads / %d KV heads of %d, ffn %d, vocab %d, context %d%n",
                    path.getFileName(), c.layers(), c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(),
                    c.vocabSize(), c.contextLength());
            err.printf("compute    %s; attention kernel %s; %d cores%n", MatVec.get(),
                    org.kvplace.core.kernel.Kernels.lookup(), cores);
            err.printf("bench      depth %d (%s fill), %d warm-up + %d timed tokens, threads %s, %d runs each;"
                    + " weights read per token %.1f MB%n", depth, fill, warmup, tokens, Arrays.toString(threads), runs,
                    weightBytes / 1e6);
            err.printf("load       %.2f%n", load());
            MemorySegment buffer = arena.allocate((long) baselineMib << 20, 4096);
            buffer.fill((byte) 0); // zeros: no denormal slow path, every page touched
            out.println("threads  tokens/s  ms/token  matvec_ms  attention_ms  other_ms  weight_MB  kv_MB"
                    + "   GB/s  base1_GB/s  baseN_GB/s  of_base1  of_baseN  cpu_ms");
            List<List<Result>> all = new ArrayList<>();
            for (int i = 0; i < threads.length; i++) {
                all.add(new ArrayList<>());
            }
            for (int r = 0; r < runs; r++) {
                for (int i = 0; i < threads.length; i++) {
                    Result res = run(m, cc, maxTokens, threads[i], depth, warmup, tokens, weightBytes, buffer, r);
                    all.get(i).add(res);
                    out.printf("%7d  %8.2f  %8.1f  %9.1f  %12.1f  %8.1f  %9.1f  %5.1f  %5.1f  %10.1f  %10.1f  %8.2f  %8.2f"
                            + "  %6.1f%n",
                            res.threads, res.tokensPerSecond, res.msPerToken, res.matvecMs, res.attentionMs,
                            res.msPerToken - res.matvecMs - res.attentionMs, weightBytes / 1e6,
                            res.kvBytesPerToken / 1e6, res.gbPerSecond(), res.baseline1 / 1e9, res.baselineN / 1e9,
                            res.gbPerSecond() * 1e9 / res.baseline1, res.gbPerSecond() * 1e9 / res.baselineN,
                            res.cpuMs);
                    out.flush();
                }
            }
            out.println();
            out.println("median   tokens/s  ms/token  matvec_ms  attention_ms   GB/s  of_base1  of_baseN  speedup");
            double first = median(all.get(0), Result::tokensPerSecond);
            for (int i = 0; i < threads.length; i++) {
                List<Result> rs = all.get(i);
                double tps = median(rs, Result::tokensPerSecond);
                out.printf("%7d  %8.2f  %8.1f  %9.1f  %12.1f  %5.1f  %8.2f  %8.2f  %7.2f%n", threads[i], tps,
                        median(rs, Result::msPerToken), median(rs, Result::matvecMs), median(rs, Result::attentionMs),
                        median(rs, Result::gbPerSecond), median(rs, x -> x.gbPerSecond() * 1e9 / x.baseline1),
                        median(rs, x -> x.gbPerSecond() * 1e9 / x.baselineN), tps / first);
            }
            err.printf("load       %.2f%n", load());
        }
        return 0;
    }

    private Result run(LlamaModel m, CacheConfig cc, int maxTokens, int threads, int depth, int warmup, int tokens,
            long weightBytes, MemorySegment buffer, int run) {
        LlamaConfig c = m.config();
        // The slow tier is not throttled here: its pages are read on the calling thread with the
        // fast tier's (as `decode` does), so that one thread is one thread; two share every block.
        KvPlace built = KvPlace.builder().cache(cc.builder(c, maxTokens)).queryHeads(c.heads()).policy("static")
                .parallelLanes(false).attentionThreads(Math.min(2, threads)).build();
        try (KvPlace kv = built; KvSequence seq = kv.newSequence();
                LlamaDecoder d = new LlamaDecoder(m, seq, null, threads)) {
            long f0 = System.nanoTime();
            SplittableRandom rnd = new SplittableRandom(run);
            if (fill.equals("random")) {
                d.fillRandom(depth, run);
            } else {
                for (int i = 0; i < depth; i++) {
                    d.forward(i == 0 ? m.tokenizer().bos() : rnd.nextInt(c.vocabSize()));
                }
            }
            double fillSeconds = (System.nanoTime() - f0) / 1e9;
            if (run == 0) {
                err.printf("fill       %d positions (%s) in %.1f s on %d thread%s%n", depth, fill, fillSeconds, threads,
                        threads == 1 ? "" : "s");
            }
            int token = depth == 0 ? m.tokenizer().bos() : rnd.nextInt(c.vocabSize());
            for (int i = 0; i < warmup; i++) {
                token = Sampler.argmax(d.forward(token));
            }
            double base1 = readBaseline(buffer, 1);
            double baseN = threads == 1 ? base1 : readBaseline(buffer, threads);
            TieredKvCache cache = kv.cache();
            long kv0 = cache.tier(TierKind.FAST).bytesRead() + cache.tier(TierKind.SLOW).bytesRead();
            long mv0 = d.matvecNanos();
            long at0 = d.attentionNanos();
            long c0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                token = Sampler.argmax(d.forward(token));
            }
            long nanos = System.nanoTime() - t0;
            long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - c0;
            long kvBytes = cache.tier(TierKind.FAST).bytesRead() + cache.tier(TierKind.SLOW).bytesRead() - kv0;
            double ms = nanos / 1e6 / tokens;
            double kvPerToken = (double) kvBytes / tokens;
            return new Result(threads, tokens * 1e9 / nanos, ms, (d.matvecNanos() - mv0) / 1e6 / tokens,
                    (d.attentionNanos() - at0) / 1e6 / tokens, weightBytes + kvPerToken, kvPerToken, base1, baseN,
                    fillSeconds, cpu / 1e6 / tokens);
        }
    }

    /** Bytes of the weights one forward pass reads: block tensors, output norm and matrix, one embedding row. */
    static long weightBytesPerToken(LlamaModel m) {
        long total = 0;
        for (GgufTensor t : m.file().tensors().values()) {
            if (t.name().startsWith("blk.") || t.name().equals("output_norm.weight") || t.name().equals("output.weight")) {
                total += t.data().byteSize();
            }
        }
        GgufTensor embd = m.file().tensors().get("token_embd.weight");
        if (m.tiedOutput()) {
            total += embd.data().byteSize();
        } else {
            total += embd.data().byteSize() / m.config().vocabSize();
        }
        return total;
    }

    /** Bytes per second of a plain vectorised read of {@code buffer} split over {@code threads} threads, best of 3. */
    static double readBaseline(MemorySegment buffer, int threads) throws RuntimeException {
        MatVec ops = MatVec.get();
        long slice = buffer.byteSize() / threads / 4096 * 4096;
        float[] sink = new float[threads];
        long best = Long.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
            Thread[] ts = new Thread[threads - 1];
            long t0 = System.nanoTime();
            for (int i = 1; i < threads; i++) {
                int part = i;
                ts[i - 1] = Thread.ofPlatform().start(() -> sink[part] += ops.readSum(buffer, part * slice, slice));
            }
            sink[0] += ops.readSum(buffer, 0, slice);
            for (Thread t : ts) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while measuring the read baseline", e);
                }
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        if (Float.isNaN(sink[0])) { // keeps the sums alive; zeros never sum to NaN
            throw new AssertionError();
        }
        return slice * threads * 1e9 / best;
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static double median(List<Result> rs, java.util.function.ToDoubleFunction<Result> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
