package org.kvplace.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.LiveReplay;
import org.kvplace.core.memory.MemoryBandwidth;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.sim.PaperSimulator;
import org.kvplace.core.sim.Simulator;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvplace live}: the placement engine on the emulated tiers. A synthetic long-context
 * workload (a generated trace of sparse reads with step-to-step dynamics) is decoded through the
 * real cache, the kernels and the engine under each policy, and the measured tokens per second
 * are printed beside the cost model's (calibrated on this machine) and the balanced bound.
 */
@Command(name = "live", description = {
    "Decode a long-context workload through the placement engine on emulated tiers, per policy: measured"
        + " and modelled tokens/s, bytes per tier, moves.",
    "",
    "Decodes a synthetic long-context workload through the tiered cache and the placement engine, once per"
        + " policy, on emulated tiers: the slow tier is throttled to --ratio of this machine's memory bandwidth"
        + " (GH200: 450/4900). Each decode step appends one token per layer and attends over the pages a"
        + " generated trace reads (sparse, with step-to-step variation); the engine's migration worker moves"
        + " pages while the next step attends. A first run with every page in the fast tier (all-fast, when it"
        + " fits) calibrates the fast tier's read rate for the cost model, the simulator and the bound; each"
        + " policy's steps are then modelled at the rate its own fast lane measures once it has read 64 MiB"
        + " (column 'fast GB/s'): both tiers are this machine's memory, so the fast lane reads slower while the"
        + " slow lane runs beside it than in the all-fast run."})
final class LiveCommand implements Callable<Integer> {

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--prompt", paramLabel = "N", description = "context tokens before decoding, in [16, 4194304]"
            + " (default ${DEFAULT-VALUE})")
    int prompt = 32_768;

    @Option(names = "--decode", paramLabel = "N", description = "decode steps, in [1, 1048576] (default ${DEFAULT-VALUE})")
    int decode = 256;

    @Option(names = "--layers", paramLabel = "N", description = "layers, in [1, 256] (default ${DEFAULT-VALUE})")
    int layers = 4;

    @Option(names = "--kv-heads", paramLabel = "N", description = "KV heads, in [1, 64] (default ${DEFAULT-VALUE})")
    int kvHeads = 2;

    @Option(names = "--head-dim", paramLabel = "N", description = "elements per head, in [1, 1024]"
            + " (default ${DEFAULT-VALUE})")
    int headDim = 64;

    @Option(names = "--sparsity", paramLabel = "X", description = "share of the context NOT read per step, in"
            + " [0, 1) (default ${DEFAULT-VALUE})")
    double sparsity = 0.85;

    @Option(names = "--variation", paramLabel = "V", description = "step-to-step change of the read set: low,"
            + " real, high or a number (default ${DEFAULT-VALUE})")
    String variation = "real";

    @Option(names = "--fast-share", paramLabel = "X", description = "fast tier as a share of the whole KV, in"
            + " (0, 1] (default ${DEFAULT-VALUE})")
    double fastShare = 0.25;

    @Option(names = "--ratio", paramLabel = "X", description = "slow over fast bandwidth, in (0, 1]"
            + " (default 450/4900)")
    double ratio = 450.0 / 4900.0;

    @Option(names = "--policy", paramLabel = "LIST", description = "comma-separated online policies"
            + " (default ${DEFAULT-VALUE})")
    String policy = "static,reactive,arc,balance";

    @Option(names = "--trace", paramLabel = "FILE", description = "replay a kvplace trace file's reads (e.g. from"
            + " 'kvplace decode --record-trace' or 'kvplace simulate --write-trace') instead of generating them;"
            + " the trace gives layers, context and decode lengths")
    String trace;

    @Option(names = "--tiers", paramLabel = "MODE", description = "exclusive (a page sits in one tier),"
            + " inclusive (every page keeps its copy in the slow tier: new KV is written to both, a demotion copies"
            + " nothing, a promotion of a page the step has just read from the slow tier costs no second slow read,"
            + " and the two lanes read pages with both copies from whichever tier lets them finish together; the"
            + " simulated column is then the paper author's inclusive model) or both (default ${DEFAULT-VALUE})")
    String tiers = "both";

    @Option(names = "--no-all-fast", description = "skip the all-fast run (the model is then calibrated on the"
            + " first policy)")
    boolean noAllFast;

    @Option(names = "--csv", paramLabel = "FILE", description = "write the results as CSV"
            + " (default kvplace-out/live/results.csv)")
    String csvFile;

    @Option(names = "--plot", paramLabel = "FILE", description = "write a bar chart of measured and modelled"
            + " tokens/s as PNG (default kvplace-out/live/throughput.png)")
    String plotFile;

    /** Warm-up rounds at most. */
    private static final int MAX_WARM_ROUNDS = 10;

    LiveCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** One measured run: {@code tiers} is exclusive, inclusive or empty (all-fast). */
    record Row(String policy, String tiers, LiveReplay.Result result, double simulated) {}

    @Override
    public Integer call() throws IOException {
        int prompt = Main.range("--prompt", this.prompt, 16, 1 << 22);
        int decode = Main.range("--decode", this.decode, 1, 1 << 20);
        int layers = Main.range("--layers", this.layers, 1, 256);
        int kvHeads = Main.range("--kv-heads", this.kvHeads, 1, 64);
        int headDim = Main.range("--head-dim", this.headDim, 1, 1024);
        double sparsity = Main.range("--sparsity", this.sparsity, 0, 0.999);
        double variation;
        try {
            variation = GeneratorConfig.variationPreset(this.variation);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--variation: " + e.getMessage());
        }
        double fastShare = Main.range("--fast-share", this.fastShare, 1e-6, 1);
        double ratio = Main.range("--ratio", this.ratio, 1e-6, 1);
        List<Boolean> modes = switch (tiers) {
            case "exclusive" -> List.of(false);
            case "inclusive" -> List.of(true);
            case "both" -> List.of(false, true);
            default -> throw new UsageException("--tiers: expected exclusive, inclusive or both, got '"
                    + org.kvplace.examples.llama.Printable.escape(tiers) + "'");
        };
        List<String> policies = List.of(policy.split(","));
        for (String n : policies) {
            try {
                KvPlace.builder().policy(n); // unknown names and lookahead policies fail here
            } catch (IllegalArgumentException e) {
                throw new UsageException("--policy: " + e.getMessage());
            }
        }
        boolean allFast = !noAllFast;
        Path traceFile = trace == null ? null : Path.of(trace);
        Path csv = csvFile == null ? null : Path.of(csvFile);
        Path plot = plotFile == null ? null : Path.of(plotFile);
        if (csv == null || plot == null) {
            Path dir = Path.of("kvplace-out", "live");
            csv = csv == null ? dir.resolve("results.csv") : csv;
            plot = plot == null ? dir.resolve("throughput.png") : plot;
        }
        // Files are checked before any run: the trace readable, the outputs writable and not the trace.
        Outputs files = new Outputs();
        if (traceFile != null) {
            InputFiles.regularFile("--trace", "trace", traceFile.toString());
            files.input("--trace", traceFile.toString());
        }
        csv = files.output("--csv", csv.toString());
        plot = files.output("--plot", plot.toString());
        TraceHeader fileHeader = null;
        if (traceFile != null) {
            try (TraceReader r = TraceReader.open(traceFile)) {
                fileHeader = r.header();
            }
            prompt = fileHeader.promptTokens();
            decode = fileHeader.decodeTokens();
            layers = fileHeader.layers();
        }
        int maxTokens = prompt + decode;
        ModelShape shape = new ModelShape(layers, kvHeads, headDim, maxTokens);
        int pageTokens = 16;
        int pages = layers * Math.ceilDiv(maxTokens, pageTokens);
        int fastPages = (int) Math.max(layers + 1, Math.round(pages * fastShare));
        long pageBytes = 2L * pageTokens * kvHeads * headDim * Float.BYTES;
        // the all-fast run holds every page in the fast tier and as many slots in the slow one
        TierMemory.check(traceFile != null ? "--trace " + traceFile + " (" + prompt + " prompt + " + decode
                + " decoded tokens, " + layers + " layers)" : "--prompt " + prompt + " --decode " + decode + " --layers "
                + layers, pages + layers,
                pages + layers, pageBytes);
        GeneratorConfig gen = new GeneratorConfig(prompt, decode, layers, pageTokens, sparsity, 4, 64, 0.5, variation, 1);
        out.printf(Locale.ROOT, "workload   %,d context tokens + %,d decoded, %d layers, %d KV heads of %d, pages of %d"
                + " tokens (%,d bytes); %,d pages in all (%.1f MiB)%n", prompt, decode, layers, kvHeads, headDim,
                pageTokens, pageBytes, pages, pages * pageBytes / 1048576.0);
        out.printf(Locale.ROOT, "reads      %s%n", traceFile != null ? traceFile + " (" + fileHeader + ")" : gen.spec());
        Path tf = traceFile;
        TraceSource source = tf != null ? () -> TraceReader.open(tf) : TraceGenerator.source(gen);
        out.printf(Locale.ROOT, "tiers      fast %,d pages (%.0f%% of the KV), slow throttled to %.4f of this machine's"
                + " copy bandwidth; tiers %s%n", fastPages, 100.0 * fastPages / pages, ratio, tiers);

        // Warm-up at a small scale, every policy to be measured, both lanes and the worker, until the
        // all-fast rate has settled (the kernels and the policies compiled): no measured run is the JIT's.
        int warmPrompt = Math.min(prompt, 4096);
        ModelShape warmShape = new ModelShape(layers, kvHeads, headDim, warmPrompt + 64);
        int warmPages = layers * Math.ceilDiv(warmPrompt + 64, pageTokens);
        GeneratorConfig warm = new GeneratorConfig(warmPrompt, 64, layers, pageTokens, sparsity, 4, 64, 0.5, variation, 2);
        double lastRate = 0;
        int rounds = 0;
        while (rounds < MAX_WARM_ROUNDS) {
            rounds++;
            double rate = replay(warmShape, warmPages + layers, warmPages, 1e12, "static", TraceGenerator.source(warm),
                    0, 0, false).measuredTokensPerSecond();
            for (boolean inclusive : modes) {
                for (String p : policies) {
                    replay(warmShape, Math.max(layers + 1, warmPages / 4), warmPages, 1e12, p,
                            TraceGenerator.source(warm), 1e10, 1e10, inclusive);
                }
            }
            if (rounds >= 3 && Math.abs(rate - lastRate) <= 0.05 * rate) {
                break;
            }
            lastRate = rate;
        }
        out.printf(Locale.ROOT, "warm-up    %d rounds at %,d context tokens (every policy; until the all-fast rate"
                + " changed by 5%% or less)%n", rounds, warmPrompt);

        List<Row> rows = new ArrayList<>();
        double fastRate = 0;
        double slowRate = ratio * MemoryBandwidth.measureCopy(64L << 20, 3);
        if (allFast) {
            LiveReplay.Result r = replay(shape, pages + layers, pages, slowRate, "static", source, 0, 0, false);
            fastRate = r.stats().fastReadBytesPerSecond();
            rows.add(new Row("all-fast", "", r, Double.NaN));
            err.printf(Locale.ROOT, "all-fast: %.1f tokens/s, fast tier read at %.2f GB/s, slow tier throttled to %.2f"
                    + " GB/s%n", r.measuredTokensPerSecond(), fastRate / 1e9, slowRate / 1e9);
        }
        for (boolean inclusive : modes) {
            String mode = inclusive ? "inclusive" : "exclusive";
            for (String p : policies) {
                LiveReplay.Result r = replay(shape, fastPages, pages, slowRate, p, source, fastRate, fastRate,
                        inclusive);
                if (fastRate == 0) {
                    fastRate = r.stats().fastReadBytesPerSecond();
                }
                rows.add(new Row(p, mode, r, Double.NaN));
                err.printf(Locale.ROOT, "%s, %s tiers: %.1f tokens/s%n", p, mode, r.measuredTokensPerSecond());
            }
        }
        if (allFast) {
            // The all-fast run had no calibrated model while it ran: its model is the fast rate alone.
            LiveReplay.Result a = rows.get(0).result();
            long modelled = (long) (a.stats().bytesReadFast() * 1e9 / fastRate);
            rows.set(0, new Row("all-fast", "", new LiveReplay.Result("all-fast", a.decodeTokens(), a.measuredNanos(),
                    a.stats().withModelledNanos(modelled), 0), Double.NaN));
        }
        // The simulator on the same reads, with a profile calibrated on this machine: the offline
        // model's tokens/s beside the live engine's.
        HardwareProfile hw = new HardwareProfile("calibrated", fastRate, (long) fastPages * pageBytes, slowRate, slowRate,
                1e15, (long) (pages + layers) * pageBytes);
        ModelProfile mp = new ModelProfile("live", layers, 2L * kvHeads * headDim * Float.BYTES, 0, 1);
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (!r.policy().equals("all-fast")) {
                boolean inclusive = r.tiers().equals("inclusive");
                PlacementPolicy policy = Policies.byName(r.policy(), new CostModel(hw, mp), inclusive);
                double sim = (inclusive ? new PaperSimulator(hw, mp).run(source, policy)
                        : new Simulator(hw, mp).run(source, policy)).tokensPerSecond();
                rows.set(i, new Row(r.policy(), r.tiers(), r.result(), sim));
            }
        }
        double balanced = rows.stream().mapToDouble(r -> r.result().balancedTokensPerSecond()).filter(Double::isFinite)
                .findFirst().orElse(Double.NaN);
        print(out, rows, balanced);
        if (csv != null) {
            writeCsv(csv, rows, balanced);
            out.println("csv        " + csv);
        }
        if (plot != null) {
            List<String> names = rows.stream().map(r -> r.tiers().isEmpty() || modes.size() == 1 ? r.policy()
                    : r.policy() + " (" + r.tiers().charAt(0) + ")").toList();
            double[][] v = new double[rows.size()][2];
            double max = 0;
            for (int i = 0; i < rows.size(); i++) {
                v[i][0] = rows.get(i).result().measuredTokensPerSecond();
                v[i][1] = rows.get(i).result().modelledTokensPerSecond();
                max = Math.max(max, Math.max(v[i][0], Double.isNaN(v[i][1]) ? 0 : v[i][1]));
            }
            BarChart.write(plot, "live decode on emulated tiers (ratio " + String.format(Locale.ROOT, "%.3f", ratio)
                    + ")", "tokens/s", names, List.of("measured", "modelled"), v, max * 1.1);
            out.println("plot       " + plot);
        }
        return 0;
    }

    private static LiveReplay.Result replay(ModelShape shape, int fastPages, int pages, double slowRate, String policy,
            TraceSource source, double modelRate, double boundRate, boolean inclusive) throws IOException {
        KvPlace.Builder b = KvPlace.builder()
                .cache(TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(fastPages)
                        .slowTierPages(pages + shape.layers()).slowTierBandwidth(slowRate).inclusive(inclusive))
                .policy(policy);
        if (modelRate > 0) {
            // Modelled at the fast lane's own measured rate once it has one (see the description).
            b.modelFastBytesPerSecond(modelRate).modelFastRateFromLanes(true);
        }
        try (KvPlace kv = b.build(); AccessTrace trace = source.open()) {
            return LiveReplay.run(kv, trace, boundRate);
        }
    }

    private static void print(PrintStream out, List<Row> rows, double balanced) {
        out.printf(Locale.ROOT, "%n%-10s %-9s %11s %11s %7s %9s %11s %9s %9s %9s %8s %7s %7s%n", "policy", "tiers",
                "measured/s", "modelled/s", "m/model", "fast GB/s", "simulated/s", "fast GiB", "slow GiB", "moved GiB",
                "failed", "engine", "moves");
        for (Row r : rows) {
            LiveReplay.Result x = r.result();
            var s = x.stats();
            out.printf(Locale.ROOT,
                    "%-10s %-9s %11.1f %11.1f %7.2f %9.2f %11.1f %9.2f %9.2f %9.3f %8d %6.2f%% %6.2f%%%n",
                    r.policy(),
                    r.tiers(),
                    x.measuredTokensPerSecond(), x.modelledTokensPerSecond(),
                    x.measuredTokensPerSecond() / x.modelledTokensPerSecond(), s.fastReadBytesPerSecond() / 1e9,
                    r.simulated(), s.bytesReadFast() / GIB,
                    s.bytesReadSlow() / GIB, s.bytesMigrated() / GIB, s.failedMoves(), 100 * s.engineShare(),
                    100.0 * s.decodeMoveNanos() / s.attentionNanos());
        }
        out.printf(Locale.ROOT, "%-10s %-9s %11s %11.1f%n", "balanced", "", "", balanced);
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    private static void writeCsv(Path file, List<Row> rows, double balanced) throws IOException {
        StringBuilder sb = new StringBuilder("policy,measured_tokens_per_s,modelled_tokens_per_s,bytes_fast,bytes_slow,"
                + "bytes_migrated,promotions,demotions,failed_moves,balanced_bound_tokens_per_s,simulated_tokens_per_s,"
                + "engine_share,tiers,decode_move_share,fast_read_bytes_per_s\n");
        for (Row r : rows) {
            LiveReplay.Result x = r.result();
            var s = x.stats();
            sb.append(String.format(Locale.ROOT, "%s,%.3f,%.3f,%d,%d,%d,%d,%d,%d,%.3f,%.3f,%.5f,%s,%.5f,%.0f%n",
                    r.policy(),
                    x.measuredTokensPerSecond(), x.modelledTokensPerSecond(), s.bytesReadFast(), s.bytesReadSlow(),
                    s.bytesMigrated(), s.promotions(), s.demotions(), s.failedMoves(), balanced, r.simulated(),
                    s.engineShare(), r.tiers().isEmpty() ? "all-fast" : r.tiers(),
                    (double) s.decodeMoveNanos() / s.attentionNanos(), s.fastReadBytesPerSecond()));
        }
        Outputs.writeString(file, sb.toString());
    }
}
