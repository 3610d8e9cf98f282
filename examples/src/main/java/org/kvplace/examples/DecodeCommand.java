package org.kvplace.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.memory.Tier;
import org.kvplace.core.memory.TierKind;
import org.kvplace.examples.llama.AttentionObserver;
import org.kvplace.core.engine.EngineStats;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;
import org.kvplace.core.placement.Policies;
import org.kvplace.examples.llama.CacheConfig;
import org.kvplace.examples.llama.DecodeLoop;
import org.kvplace.examples.llama.LlamaConfig;
import org.kvplace.examples.llama.LlamaDecoder;
import org.kvplace.examples.llama.LlamaModel;
import org.kvplace.examples.llama.Printable;
import org.kvplace.kernels.MatVec;
import org.kvplace.examples.llama.Sampler;
import org.kvplace.examples.llama.Tokenizer;
import org.kvplace.examples.llama.TraceRecorder;

/**
 * {@code kvplace decode}: runs a Llama-architecture GGUF model with its KV cache in a kvplace
 * tiered cache. The generated text streams to standard output; settings, progress and statistics
 * go to standard error.
 */
final class DecodeCommand {

    static final String DEFAULT_MODEL = "../shared/models/stories260K-f32.gguf";

    private DecodeCommand() {}

    private static final String HELP = """
            Usage: kvplace decode [OPTIONS]

            Decodes text with a Llama-architecture GGUF model (F32, F16 or Q8_0 weights) whose KV cache
            lives in kvplace's two-tier cache. Text goes to standard output, statistics to standard error.

              --model FILE          GGUF model (default %s, relative to the working directory)
              --prompt TEXT         text to continue (default: start from BOS)
              --tokens N            tokens to generate (default 256)
              --temperature T       0 = greedy (default 0)
              --top-p P             nucleus sampling mass in (0, 1] (default 1: off)
              --seed S              random seed for sampling (default 42)
              --budget TOKENS       sparse attention: read at most TOKENS tokens' worth of pages per layer and
                                    step, chosen from the pages' key bounds (the first and the newest page
                                    always, and they count against TOKENS); default: dense
              --oversample N        page selection with --budget: 0 scores every page (flat, the default);
                                    N > 0 selects in two levels, first the groups of 16 pages whose
                                    bounds are best, covering N x TOKENS tokens (plus the first and
                                    newest groups), then pages within TOKENS among them
              --page-tokens P       tokens per KV page (default 16)
              --fast-pages N        fast-tier capacity in pages (default: half the pages the run needs)
              --slow-pages N        slow-tier capacity in pages (default: all the pages the run needs)
              --fast-bytes B        fast-tier capacity in bytes (rounded down to whole pages)
              --slow-bytes B        slow-tier capacity in bytes (rounded down to whole pages)
              --kv-type f32|f16     element type of the cached keys and values (default f32)
              --slow-bandwidth GBPS throttle the slow tier to GBPS gigabytes per second (default: unthrottled)
              --policy NAME         placement policy that places new pages and migrates pages between the
                                    tiers while decoding: %s (default static: new pages
                                    fill the fast tier, then the slow one; nothing moves)
              --no-stop             keep going after the model ends a text (EOS or BOS)
              --record-trace FILE   write the pages each layer read at each decoded position as a kvplace
                                    trace with each page's attention mass (implies --no-stop), and
                                    FILE.model.properties describing the
                                    model's bytes, so that 'kvplace simulate --trace FILE --model
                                    FILE.model.properties' replays the run
              --compare-dense       also decode with dense attention and report how many tokens match
              --warmup RUNS         decode RUNS times first without output (JIT warm-up for timing)
              --progress            show a progress bar on standard error; the text is then
                                    printed when decoding ends, not while it runs (both
                                    written to one terminal would overwrite each other)
              --help                this text

            The Vector API matrix-vector products are used when jdk.incubator.vector is present (the
            ./kvplace launcher adds it); -Dkvplace.matvec=scalar forces the scalar loops, e.g.
              KVPLACE_JAVA_OPTS=-Dkvplace.matvec=scalar ./kvplace decode
            """;

    static int run(String[] args, PrintStream out, PrintStream err) {
        String model = DEFAULT_MODEL;
        String prompt = null;
        int tokens = 256;
        double temperature = 0;
        double topP = 1;
        long seed = 42;
        int budget = 0;
        int oversample = 0;
        int pageTokens = 16;
        int fastPages = -1;
        int slowPages = -1;
        long fastBytes = -1;
        long slowBytes = -1;
        double slowGbps = Double.POSITIVE_INFINITY;
        boolean stop = true;
        boolean compare = false;
        int warmup = 0;
        boolean progress = false;
        ElementType kvType = ElementType.F32;
        String recordTrace = null;
        String policy = "static";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(HELP.formatted(DEFAULT_MODEL, String.join(", ", onlinePolicies())));
                    return 0;
                }
                case "--model" -> model = Options.value(args, ++i, "--model");
                case "--prompt" -> prompt = Options.value(args, ++i, "--prompt");
                case "--tokens" -> tokens = Options.intValue(args, ++i, "--tokens", 1, 1 << 24);
                case "--temperature" -> temperature = Options.doubleValue(args, ++i, "--temperature", 0, 100);
                case "--top-p" -> topP = Options.doubleValue(args, ++i, "--top-p", 1e-6, 1);
                case "--seed" -> seed = Options.longValue(args, ++i, "--seed");
                case "--budget" -> budget = Options.intValue(args, ++i, "--budget", 1, 1 << 24);
                case "--oversample" -> oversample = Options.intValue(args, ++i, "--oversample", 0, 1 << 16);
                case "--page-tokens" -> pageTokens = Options.intValue(args, ++i, "--page-tokens", 1, 1 << 16);
                case "--fast-pages" -> fastPages = Options.intValue(args, ++i, "--fast-pages", 0, Integer.MAX_VALUE - 1);
                case "--slow-pages" -> slowPages = Options.intValue(args, ++i, "--slow-pages", 0, Integer.MAX_VALUE - 1);
                case "--fast-bytes" -> fastBytes = nonNegative(args, ++i, "--fast-bytes");
                case "--slow-bytes" -> slowBytes = nonNegative(args, ++i, "--slow-bytes");
                case "--slow-bandwidth" -> slowGbps = Options.doubleValue(args, ++i, "--slow-bandwidth", 1e-6, 1e6);
                case "--no-stop" -> stop = false;
                case "--compare-dense" -> compare = true;
                case "--warmup" -> warmup = Options.intValue(args, ++i, "--warmup", 0, 1000);
                case "--progress" -> progress = true;
                case "--policy" -> {
                    policy = Options.value(args, ++i, "--policy");
                    try {
                        KvPlace.builder().policy(policy); // unknown names and lookahead policies fail here
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--policy: " + e.getMessage());
                    }
                }
                case "--record-trace" -> recordTrace = Options.value(args, ++i, "--record-trace");
                case "--kv-type" -> kvType = switch (Options.value(args, ++i, "--kv-type")) {
                    case "f32" -> ElementType.F32;
                    case "f16" -> ElementType.F16;
                    default -> throw new UsageException("--kv-type must be f32 or f16, got '" + args[i] + "'");
                };
                default -> throw new UsageException("unknown option '" + args[i] + "'");
            }
        }
        if (oversample > 0 && budget == 0) {
            throw new UsageException("--oversample " + oversample + " selects pages within a budget; give --budget too");
        }
        if (fastPages >= 0 && fastBytes >= 0 || slowPages >= 0 && slowBytes >= 0) {
            throw new UsageException("give a tier's size in pages or in bytes, not both");
        }
        try {
            MatVec.get();
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            err.println("kvplace decode: " + cause.getMessage());
            return 1;
        }
        // Inputs and outputs are checked before the model is loaded: the model is mapped, so writing
        // over it (directly or through a link) would destroy it under the running decoder.
        Outputs files = new Outputs().input("--model", model);
        Path traceTarget = null;
        Path propertiesTarget = null;
        if (recordTrace != null) {
            traceTarget = files.output("--record-trace", recordTrace);
            propertiesTarget = files.output("--record-trace", recordTrace + ".model.properties");
        }
        Path path;
        try {
            path = InputFiles.regularFile("--model", "model file", model);
        } catch (CommandFailure e) {
            throw model.equals(DEFAULT_MODEL) ? new CommandFailure(e.getMessage() + "; pass --model FILE (the default"
                    + " is resolved against the working directory; run from the repository root)") : e;
        }
        try (LlamaModel m = LlamaModel.load(path)) {
            LlamaConfig c = m.config();
            Tokenizer tok = m.tokenizer();
            int[] promptTokens;
            try {
                promptTokens = prompt == null ? new int[] {tok.bos()} : tok.encode(prompt, true, false);
            } catch (IllegalStateException e) {
                throw new CommandFailure("--prompt cannot be encoded with the vocabulary of " + path + ": "
                        + e.getMessage(), e);
            }
            long positions = (long) promptTokens.length + tokens - 1;
            if (positions > c.contextLength()) {
                throw new UsageException("prompt (" + promptTokens.length + " tokens) plus --tokens " + tokens + " need "
                        + positions + " positions; the model's context is " + c.contextLength());
            }
            int maxTokens = (int) positions;
            long pageBytes = new PageLayout(pageTokens, c.kvHeads(), c.headDim(), kvType).pageBytes();
            CacheConfig cc = new CacheConfig(pageTokens,
                    fastBytes >= 0 ? pages(fastBytes, pageBytes) : fastPages,
                    slowBytes >= 0 ? pages(slowBytes, pageBytes) : slowPages,
                    slowGbps * 1e9, kvType);
            int needed = cc.pagesNeeded(c, maxTokens);
            int fastCap = cc.fastPages() >= 0 ? cc.fastPages() : (needed + 1) / 2;
            int slowCap = cc.slowPages() >= 0 ? cc.slowPages() : needed;
            TierMemory.check(tierOptions(cc, fastBytes, slowBytes, pageTokens), fastCap, slowCap, pageBytes);
            if ((long) fastCap + slowCap < needed) {
                throw new UsageException("the tiers hold " + fastCap + " + " + slowCap + " pages of " + pageBytes
                        + " bytes; this run needs " + needed + " (" + c.layers() + " layers x "
                        + (needed / c.layers()) + " pages of " + pageTokens + " tokens)");
            }
            int budgetTokens = budget == 0 ? PageSelection.ALL : budget;
            boolean parallelLanes = Double.isFinite(slowGbps);
            err.printf("model      %s: %d layers, dim %d, %d heads / %d KV heads of %d, ffn %d, vocab %d, context %d%n",
                    path.getFileName(), c.layers(), c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(),
                    c.vocabSize(), c.contextLength());
            err.printf("compute    %s; attention kernel %s%n", MatVec.get(), org.kvplace.core.kernel.Kernels.lookup());
            err.printf("attention  %s%n", budget == 0 ? "dense"
                    : "sparse: budget " + budget + " tokens of " + pageTokens + "-token pages (sink and newest page"
                    + " always; " + (oversample > 0 ? "two-level selection, groups of "
                    + TieredKvCache.GROUP_PAGES + " pages oversampled x" + oversample : "flat selection") + "; "
                    + (parallelLanes ? "slow-tier pages on their own thread" : "tiers read in turn")
                    + ")");
            if (recordTrace != null) {
                stop = false;
            }
            for (int w = 0; w < warmup; w++) {
                decode(m, cc, policy, maxTokens, budgetTokens, oversample, parallelLanes, promptTokens, tokens, temperature, topP, seed,
                        stop, null, false, null, null);
            }
            int[] dense = null;
            if (compare) {
                dense = decode(m, cc, "static", maxTokens, PageSelection.ALL, 0, false, promptTokens, tokens, temperature, topP,
                        seed, stop, null, false, null, null).tokens;
            }
            if (prompt != null) {
                out.print(prompt);
                out.flush();
            }
            Run r;
            TraceRecorder recorder = null;
            try (Outputs.AtomicFile traceOut = traceTarget == null ? null : Outputs.AtomicFile.create(traceTarget)) {
                recorder = traceOut == null ? null : new TraceRecorder(traceOut.stream(), pageTokens, c.layers(),
                        promptTokens.length, tokens - 1);
                try {
                    r = decode(m, cc, policy, maxTokens, budgetTokens, oversample, parallelLanes, promptTokens, tokens,
                            temperature, topP, seed, stop, out, progress, err, recorder);
                } catch (RuntimeException | Error e) {
                    if (recorder != null) {
                        recorder.abort(); // the run's failure is the one to report; no partial trace stays
                    }
                    throw e;
                }
                if (recorder != null) {
                    recorder.close();
                    traceOut.commit();
                }
            }
            out.println();
            out.flush();
            report(err, r, c, promptTokens.length);
            if (recorder != null) {
                Path traceFile = Path.of(recordTrace);
                Path modelFile = Path.of(recordTrace + ".model.properties");
                Outputs.writeString(propertiesTarget, modelProperties(m, path, kvType));
                err.printf("trace      %s: %d bytes, %d steps (%d positions x %d layers) of %d-token pages; model bytes"
                        + " in %s%n", traceFile, Files.size(traceFile), recorder.header().steps(),
                        recorder.header().decodeTokens(), c.layers(), pageTokens, modelFile);
                err.printf("replay     ./kvplace simulate --trace %s --model %s%n", traceFile, modelFile);
            }
            if (dense != null) {
                int lead = 0;
                while (lead < Math.min(dense.length, r.tokens.length) && dense[lead] == r.tokens[lead]) {
                    lead++;
                }
                int same = 0;
                for (int i = 0; i < Math.min(dense.length, r.tokens.length); i++) {
                    same += dense[i] == r.tokens[i] ? 1 : 0;
                }
                err.printf("vs dense   first %d of %d tokens identical; %d of %d positions equal%n", lead,
                        r.tokens.length, same, Math.min(dense.length, r.tokens.length));
            }
            return 0;
        } catch (IOException e) {
            err.println("kvplace decode: " + Printable.escape(e.getMessage()));
            return 1;
        } catch (IllegalStateException e) {
            // a corrupt model found while decoding (non-finite weights); the message names the tensor
            throw new CommandFailure(e.getMessage(), e);
        }
    }

    /** The options that sized the tiers, for messages. */
    private static String tierOptions(CacheConfig cc, long fastBytes, long slowBytes, int pageTokens) {
        StringBuilder sb = new StringBuilder();
        if (fastBytes >= 0) {
            sb.append("--fast-bytes ").append(fastBytes).append(' ');
        } else if (cc.fastPages() >= 0) {
            sb.append("--fast-pages ").append(cc.fastPages()).append(' ');
        }
        if (slowBytes >= 0) {
            sb.append("--slow-bytes ").append(slowBytes).append(' ');
        } else if (cc.slowPages() >= 0) {
            sb.append("--slow-pages ").append(cc.slowPages()).append(' ');
        }
        sb.append("--page-tokens ").append(pageTokens);
        return sb.toString();
    }

    /** The model's bytes as {@code kvplace simulate --model FILE} reads them. */
    static String modelProperties(LlamaModel m, Path path, ElementType kvType) {
        LlamaConfig c = m.config();
        return "# " + path.getFileName() + " as the cost model sees it, written by kvplace decode --record-trace\n"
                + "name=" + path.getFileName().toString().replaceFirst("\\.gguf$", "") + "\n"
                + "layers=" + c.layers() + "\n"
                + "kv.bytes.per.token=" + 2L * c.kvWidth() * kvType.bytes() + "\n"
                + "weight.bytes.per.layer=" + m.weightBytesPerLayer() + "\n";
    }

    private static long nonNegative(String[] args, int i, String option) {
        long v = Options.longValue(args, i, option);
        if (v < 0) {
            throw new UsageException(option + " must be >= 0, got " + v);
        }
        return v;
    }

    private static int pages(long bytes, long pageBytes) {
        long p = bytes / pageBytes;
        if (p > Integer.MAX_VALUE - 1) {
            throw new UsageException(bytes + " bytes are too many pages of " + pageBytes + " bytes");
        }
        return (int) p;
    }

    /** The built-in policies that need no future knowledge, so that they can run while decoding. */
    static java.util.List<String> onlinePolicies() {
        return Policies.ONLINE;
    }

    /** What one decode run produced and read. */
    private record Run(int[] tokens, long nanos, int forwards, long pagesRead, long pagesScored, long fastRead,
            long slowRead, long fastWritten, long slowWritten, long migrations, long migratedBytes, String cache,
            String policy, long promotions, long demotions, long failedMoves) {}

    private static Run decode(LlamaModel m, CacheConfig cc, String policy, int maxTokens, int budgetTokens, int oversample,
            boolean parallelLanes, int[] prompt, int tokens, double temperature, double topP, long seed, boolean stop,
            PrintStream out, boolean progress, PrintStream err, AttentionObserver observer) {
        LlamaConfig c = m.config();
        Tokenizer tok = m.tokenizer();
        KvPlace.Builder engine = KvPlace.builder().cache(cc.builder(c, maxTokens)).queryHeads(c.heads())
                .oversample(oversample).parallelLanes(parallelLanes).policy(policy);
        if (budgetTokens != PageSelection.ALL) {
            engine.budgetTokens(budgetTokens);
        }
        KvPlace built;
        try {
            built = engine.build();
        } catch (IllegalArgumentException e) {
            // the sizes come from options: a size the library refuses is a usage error here
            throw new UsageException("the cache cannot be built from --fast-pages, --slow-pages, --fast-bytes,"
                    + " --slow-bytes, --page-tokens: " + e.getMessage());
        }
        try (KvPlace kv = built; KvSequence seq = kv.newSequence();
                LlamaDecoder d = new LlamaDecoder(m, seq, observer)) {
            TieredKvCache cache = kv.cache();
            Sampler sampler = new Sampler(c.vocabSize(), (float) temperature, (float) topP, seed);
            Progress bar = progress ? new Progress(err, tokens) : null;
            // With a bar on standard error, the text waits until the bar is finished: a bar redrawn
            // with '\r' and text streamed to the same terminal overwrite each other.
            ByteArrayOutputStream held = bar != null && out != null ? new ByteArrayOutputStream() : null;
            long t0 = System.nanoTime();
            int[] generated = DecodeLoop.run(d, tok, prompt, tokens, sampler, stop, (prev, next) -> {
                if (out != null) {
                    byte[] piece = tok.pieceBytes(prev, next);
                    if (held != null) {
                        held.write(piece, 0, piece.length);
                    } else {
                        out.write(piece, 0, piece.length);
                        out.flush();
                    }
                }
                if (bar != null) {
                    bar.step();
                }
            });
            long nanos = System.nanoTime() - t0;
            if (bar != null) {
                bar.done();
            }
            if (held != null) {
                out.write(held.toByteArray(), 0, held.size());
                out.flush();
            }
            Tier fast = cache.tier(TierKind.FAST);
            Tier slow = cache.tier(TierKind.SLOW);
            EngineStats st = seq.stats();
            return new Run(generated, nanos, d.position(), d.pagesRead(), d.pagesScored(), fast.bytesRead(), slow.bytesRead(),
                    fast.bytesWritten(), slow.bytesWritten(), cache.migrations(), cache.bytesMigrated(),
                    cache.toString(), policy, st.promotions(), st.demotions(), st.failedMoves());
        }
    }

    private static void report(PrintStream err, Run r, LlamaConfig c, int promptTokens) {
        double s = r.nanos / 1e9;
        err.printf("cache      %s%n", r.cache);
        err.printf("decoded    %d tokens after a %d-token prompt: %d forward passes in %.3f s = %.1f tokens/s%n",
                r.tokens.length, promptTokens, r.forwards, s, r.forwards / s);
        err.printf("pages read %d over %d layer-steps (%.2f per layer and token)%n", r.pagesRead,
                (long) r.forwards * c.layers(), r.pagesRead / (double) Math.max(1, (long) r.forwards * c.layers()));
        if (r.pagesScored > 0) {
            err.printf("scored     %d page bounds (%.2f per layer and token)%n", r.pagesScored,
                    r.pagesScored / (double) Math.max(1, (long) r.forwards * c.layers()));
        }
        err.printf("KV read    fast %s, slow %s (%.1f%% fast)%n", bytes(r.fastRead), bytes(r.slowRead),
                100.0 * r.fastRead / Math.max(1, r.fastRead + r.slowRead));
        err.printf("KV written fast %s, slow %s%n", bytes(r.fastWritten), bytes(r.slowWritten));
        err.printf("migrations %d pages, %s by policy %s: %d promoted, %d demoted, %d could not be carried out%n",
                r.migrations, bytes(r.migratedBytes), r.policy, r.promotions, r.demotions, r.failedMoves);
    }

    private static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format("%.1f KiB", b / 1024.0);
        }
        return String.format("%.2f MiB", b / 1048576.0);
    }

    /** A one-line progress bar on standard error, redrawn in place. */
    private static final class Progress {
        private final PrintStream err;
        private final int total;
        private final long start = System.nanoTime();
        private int done;
        private int drawn = -1;

        Progress(PrintStream err, int total) {
            this.err = err;
            this.total = total;
        }

        void step() {
            done++;
            int percent = (int) (100L * done / total);
            if (percent != drawn) {
                drawn = percent;
                int filled = percent * 30 / 100;
                double s = (System.nanoTime() - start) / 1e9;
                err.printf("\r[%s%s] %d/%d tokens, %.0f tokens/s", "#".repeat(filled), " ".repeat(30 - filled), done,
                        total, done / Math.max(s, 1e-9));
                err.flush();
            }
        }

        void done() {
            err.println();
        }
    }
}
