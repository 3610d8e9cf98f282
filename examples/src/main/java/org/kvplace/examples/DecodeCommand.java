package org.kvplace.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;
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
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.kernels.MatVec;
import org.kvplace.kernels.VectorKernelProvider;
import org.kvplace.examples.llama.Sampler;
import org.kvplace.examples.llama.Tokenizer;
import org.kvplace.examples.llama.TraceRecorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code kvplace decode}: runs a Llama-architecture GGUF model with its KV cache in a kvplace
 * tiered cache. The generated text streams to standard output; settings, progress and statistics
 * go to standard error.
 */
@Command(name = "decode", description = {
    "Run a Llama GGUF model (such as stories260K) with its KV cache in kvplace.",
    "",
    "Decodes text with a Llama-architecture GGUF model (F32, F16 or Q8_0 weights) whose KV cache lives in"
        + " kvplace's two-tier cache. Text goes to standard output, statistics to standard error."},
        footer = {"", "The Vector API matrix-vector products are used when jdk.incubator.vector is present (the"
            + " ./kvplace launcher adds it); -Dkvplace.matvec=scalar forces the scalar loops, e.g.",
            "  KVPLACE_JAVA_OPTS=-Dkvplace.matvec=scalar ./kvplace decode%n"})
final class DecodeCommand implements Callable<Integer> {

    /**
     * System property: {@code false} runs the Vector API kernels from the first token (cold: slower
     * than scalar code until C2 has compiled them) instead of scalar until they are compiled.
     */
    static final String WARM_START_PROPERTY = "kvplace.warmstart";
    private static final boolean WARM_START = warmStart(System.getProperty(WARM_START_PROPERTY, "true"));

    static boolean warmStart(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(WARM_START_PROPERTY + "=" + value + " is not true or false");
        };
    }

    static final String DEFAULT_MODEL = "../shared/models/stories260K-f32.gguf";

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--model", paramLabel = "FILE", description = "GGUF model, relative to the working directory"
            + " (default: ${DEFAULT-VALUE})")
    String model = DEFAULT_MODEL;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "text to continue (default: start from BOS)")
    String prompt;

    @Option(names = "--tokens", paramLabel = "N", description = "tokens to generate, in [1, 16777216]"
            + " (default ${DEFAULT-VALUE})")
    int tokens = 256;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy, up to 100 (default ${DEFAULT-VALUE})")
    double temperature = 0;

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling mass in (0, 1] (default 1: off)")
    double topP = 1;

    @Option(names = "--seed", paramLabel = "S", description = "random seed for sampling (default ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--budget", paramLabel = "TOKENS", description = "sparse attention: read at most TOKENS tokens'"
            + " worth of pages per layer and step, chosen from the pages' key bounds (the first and the newest page"
            + " always, and they count against TOKENS); default: dense")
    Integer budget;

    @Option(names = "--oversample", paramLabel = "N", description = "page selection with --budget: 0 scores every"
            + " page (flat, the default); N > 0 selects in two levels, first the groups of 16 pages whose bounds"
            + " are best, covering N x TOKENS tokens (plus the first and newest groups), then pages within TOKENS"
            + " among them")
    int oversample = 0;

    @Option(names = "--page-tokens", paramLabel = "P", description = "tokens per KV page (default ${DEFAULT-VALUE})")
    int pageTokens = 16;

    @Option(names = "--fast-pages", paramLabel = "N", description = "fast-tier capacity in pages (default: half the"
            + " pages the run needs)")
    Integer fastPages;

    @Option(names = "--slow-pages", paramLabel = "N", description = "slow-tier capacity in pages (default: all the"
            + " pages the run needs)")
    Integer slowPages;

    @Option(names = "--fast-bytes", paramLabel = "B", description = "fast-tier capacity in bytes (rounded down to"
            + " whole pages)")
    Long fastBytes;

    @Option(names = "--slow-bytes", paramLabel = "B", description = "slow-tier capacity in bytes (rounded down to"
            + " whole pages)")
    Long slowBytes;

    @Option(names = "--kv-type", paramLabel = "f32|f16", converter = KvType.class, description = "element type of"
            + " the cached keys and values (default f32)")
    ElementType kvType = ElementType.F32;

    @Option(names = "--slow-bandwidth", paramLabel = "GBPS", description = "throttle the slow tier to GBPS gigabytes"
            + " per second (default: unthrottled)")
    Double slowBandwidth;

    @Option(names = "--policy", paramLabel = "NAME", completionCandidates = OnlinePolicies.class,
            description = "placement policy that places new pages and migrates pages between the tiers while"
            + " decoding: ${COMPLETION-CANDIDATES} (default static: new pages fill the fast tier, then the slow"
            + " one; nothing moves)")
    String policy = "static";

    @Option(names = "--inclusive", description = "every page keeps its copy in the slow tier: new KV is written to"
            + " both tiers, a demotion copies nothing, and the two lanes read pages with both copies from whichever"
            + " tier lets them finish together (the slow tier must hold every page)")
    boolean inclusive;

    @Option(names = "--threads", paramLabel = "N", description = "threads for the matrix-vector products: the"
            + " rows of each product are split over N threads (the decoding thread and N - 1 workers); from 2 on,"
            + " attention reads its blocks of pages on two threads once a layer has 4 blocks (32 pages) or more."
            + " The text is identical for every N (default ${DEFAULT-VALUE})")
    int threads = 1;

    @Option(names = "--no-stop", description = "keep going after the model ends a text (EOS or BOS)")
    boolean noStop;

    @Option(names = "--record-trace", paramLabel = "FILE", description = "write the pages each layer read at each"
            + " decoded position as a kvplace trace with each page's attention mass (implies --no-stop), and"
            + " FILE.model.properties describing the model's bytes, so that 'kvplace simulate --trace FILE --model"
            + " FILE.model.properties' replays the run")
    String recordTrace;

    @Option(names = "--compare-dense", description = "also decode with dense attention and report how many tokens"
            + " match")
    boolean compare;

    @Option(names = "--warmup", paramLabel = "RUNS", description = "decode RUNS times first without output (JIT"
            + " warm-up for timing), up to 1000")
    int warmup = 0;

    @Option(names = "--progress", description = "show a progress bar on standard error; the text is then printed"
            + " when decoding ends, not while it runs (both written to one terminal would overwrite each other)")
    boolean progress;

    DecodeCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** {@code --kv-type}: {@code f32} or {@code f16}. */
    static final class KvType implements ITypeConverter<ElementType> {
        @Override
        public ElementType convert(String value) {
            return switch (value) {
                case "f32" -> ElementType.F32;
                case "f16" -> ElementType.F16;
                default -> throw new TypeConversionException("must be f32 or f16, got '" + value + "'");
            };
        }
    }

    /** The built-in policies that need no future knowledge, so that they can run while decoding. */
    static final class OnlinePolicies implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Policies.ONLINE.iterator();
        }
    }

    @Override
    public Integer call() {
        int tokens = Main.range("--tokens", this.tokens, 1, 1 << 24);
        double temperature = Main.range("--temperature", this.temperature, 0, 100);
        double topP = Main.range("--top-p", this.topP, 1e-6, 1);
        int budget = this.budget == null ? 0 : Main.range("--budget", this.budget, 1, 1 << 24);
        int oversample = Main.range("--oversample", this.oversample, 0, 1 << 16);
        int pageTokens = Main.range("--page-tokens", this.pageTokens, 1, 1 << 16);
        int fastPages = this.fastPages == null ? -1 : Main.range("--fast-pages", this.fastPages, 0, Integer.MAX_VALUE - 1);
        int slowPages = this.slowPages == null ? -1 : Main.range("--slow-pages", this.slowPages, 0, Integer.MAX_VALUE - 1);
        long fastBytes = this.fastBytes == null ? -1 : nonNegative("--fast-bytes", this.fastBytes);
        long slowBytes = this.slowBytes == null ? -1 : nonNegative("--slow-bytes", this.slowBytes);
        double slowGbps = slowBandwidth == null ? Double.POSITIVE_INFINITY
                : Main.range("--slow-bandwidth", slowBandwidth, 1e-6, 1e6);
        int warmup = Main.range("--warmup", this.warmup, 0, 1000);
        int threads = Main.range("--threads", this.threads, 1, 4 * Runtime.getRuntime().availableProcessors());
        try {
            KvPlace.builder().policy(policy); // unknown names and lookahead policies fail here
        } catch (IllegalArgumentException e) {
            throw new UsageException("--policy: " + e.getMessage());
        }
        boolean stop = !noStop;
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
        try (LlamaModel m = LlamaModel.load(path, WARM_START ? MatVec.warmStart() : MatVec.get())) {
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
                    slowGbps * 1e9, kvType, inclusive);
            int needed = cc.pagesNeeded(c, maxTokens);
            int fastCap = cc.fastPages() >= 0 ? cc.fastPages() : (needed + 1) / 2;
            int slowCap = cc.slowPages() >= 0 ? cc.slowPages() : needed;
            TierMemory.check(tierOptions(cc, fastBytes, slowBytes, pageTokens), fastCap, slowCap, pageBytes);
            if (inclusive && slowCap < needed) {
                throw new UsageException("--inclusive keeps every page in the slow tier: this run needs " + needed
                        + " pages of " + pageBytes + " bytes there (" + c.layers() + " layers x " + (needed / c.layers())
                        + " pages of " + pageTokens + " tokens); " + tierOptions(cc, fastBytes, slowBytes, pageTokens)
                        + " give it " + slowCap);
            }
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
            err.printf("compute    %s on %d thread%s; attention kernel %s%n",
                    WARM_START ? MatVec.warmStart() : MatVec.get(), threads, threads == 1 ? "" : "s", kernel());
            err.printf("attention  %s%n", budget == 0 ? "dense"
                    : "sparse: budget " + budget + " tokens of " + pageTokens + "-token pages (sink and newest page"
                    + " always; " + (oversample > 0 ? "two-level selection, groups of "
                    + TieredKvCache.GROUP_PAGES + " pages oversampled x" + oversample : "flat selection") + "; "
                    + (parallelLanes ? "slow-tier pages on their own thread" : "tiers read in turn")
                    + ")");
            if (recordTrace != null) {
                stop = false;
            }
            Settings settings = new Settings(cc, policy, maxTokens, budgetTokens, oversample, parallelLanes,
                    promptTokens, tokens, temperature, topP, seed, stop, threads);
            for (int w = 0; w < warmup; w++) {
                decode(m, settings, Sinks.NONE);
            }
            int[] dense = null;
            if (compare) {
                dense = decode(m, settings.dense(), Sinks.NONE).tokens;
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
                    r = decode(m, settings, new Sinks(out, progress, err, recorder));
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

    private static long nonNegative(String option, long v) {
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

    /** What one decode run produced and read. */
    private record Run(int[] tokens, long nanos, int forwards, long pagesRead, long pagesScored, long fastRead,
            long slowRead, long fastWritten, long slowWritten, long migrations, long migratedBytes, String cache,
            String policy, long promotions, long demotions, long failedMoves) {}

    /**
     * What one decode run does, built from the options: the cache and placement, the attention
     * (budget and selection), the prompt, sampling and when to stop.
     *
     * @param budgetTokens tokens' worth of pages read per layer and step, or {@link PageSelection#ALL}
     *     for dense attention
     * @param oversample 0 for flat page selection, else the two-level selection's oversampling
     * @param parallelLanes whether slow-tier pages are read on their own thread
     * @param prompt the prompt's tokens (at least BOS)
     * @param tokens tokens to generate
     * @param threads threads of the matrix-vector products (the decoding thread included)
     */
    record Settings(CacheConfig cache, String policy, int maxTokens, int budgetTokens, int oversample,
            boolean parallelLanes, int[] prompt, int tokens, double temperature, double topP, long seed,
            boolean stop, int threads) {

        /** The same run with dense attention and static placement (the reference of --compare-dense). */
        Settings dense() {
            return new Settings(cache, "static", maxTokens, PageSelection.ALL, 0, false, prompt, tokens, temperature,
                    topP, seed, stop, threads);
        }
    }

    /**
     * Where a run's text, progress bar and reads go.
     *
     * @param out the generated text, or null for none
     * @param progress whether to draw a progress bar on {@code err}
     * @param observer told what each layer read, or null
     */
    record Sinks(PrintStream out, boolean progress, PrintStream err, AttentionObserver observer) {
        /** A run without output (a warm-up or the dense reference). */
        static final Sinks NONE = new Sinks(null, false, null, null);
    }

    /**
     * The attention kernel of the runs: the library's, but scalar until the Vector API kernel has
     * been compiled ({@link VectorKernelProvider#warmStart()}), unless {@value #WARM_START_PROPERTY}
     * is {@code false}.
     */
    private static DecodeKernel kernel() {
        return WARM_START ? VectorKernelProvider.warmStart() : Kernels.lookup();
    }

    private static Run decode(LlamaModel m, Settings s, Sinks sinks) {
        CacheConfig cc = s.cache();
        int tokens = s.tokens();
        PrintStream out = sinks.out();
        PrintStream err = sinks.err();
        boolean progress = sinks.progress();
        LlamaConfig c = m.config();
        Tokenizer tok = m.tokenizer();
        KvPlace.Builder engine = KvPlace.builder().cache(cc.builder(c, s.maxTokens()).kernel(kernel()))
                .queryHeads(c.heads())
                .oversample(s.oversample()).parallelLanes(s.parallelLanes()).policy(s.policy())
                .attentionThreads(Math.min(2, s.threads()));
        if (s.budgetTokens() != PageSelection.ALL) {
            engine.budgetTokens(s.budgetTokens());
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
                LlamaDecoder d = new LlamaDecoder(m, seq, sinks.observer(), s.threads())) {
            TieredKvCache cache = kv.cache();
            Sampler sampler = new Sampler(c.vocabSize(), (float) s.temperature(), (float) s.topP(), s.seed());
            Progress bar = progress ? new Progress(err, tokens) : null;
            // With a bar on standard error, the text waits until the bar is finished: a bar redrawn
            // with '\r' and text streamed to the same terminal overwrite each other.
            ByteArrayOutputStream held = bar != null && out != null ? new ByteArrayOutputStream() : null;
            long t0 = System.nanoTime();
            int[] generated = DecodeLoop.run(d, tok, s.prompt(), tokens, sampler, s.stop(), (prev, next) -> {
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
                    cache.toString(), s.policy(), st.promotions(), st.demotions(), st.failedMoves());
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
