package org.kvplace.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.PagePolicy;
import org.kvplace.core.sim.SimulationResult;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;
import org.kvplace.core.trace.Traces;

/**
 * Regenerates {@code docs/reproduction.md} and its charts ({@code kvplace simulate --scenario
 * report}): every policy and reference over a sparsity sweep, a variation sweep and a batch
 * sweep, under both hardware profiles, at a reduced decode length; the online policies against
 * the oracle over step-to-step reuse and sparsity; issue 11's targets checked row by row. Every
 * number of the report is formatted from the computed results or from the constants of the code
 * it describes; the only section not computed is the record of the paper author's simulator,
 * copied verbatim from a resource.
 */
final class ReproductionReport {

    /** Decode tokens the paper decodes. */
    static final int PAPER_DECODE = 10_240;
    static final List<String> POLICIES = List.of("static", "reactive", "arc", "balance", "page", "oracle",
            "all-fast", "balanced-bound");
    static final List<String> SERIES = List.of("static", "reactive", "arc", "balance", "page", "oracle", "all-fast");
    /** The series of the online-against-oracle sweep (no future knowledge, and the oracle). */
    static final List<String> SWEEP_SERIES = List.of("static", "reactive", "arc", "balance", "oracle");
    /** The resource copied verbatim at the end of the report (not filtered for ${...} by accident: it has none). */
    static final String PAPER_SECTION = "paper-model-section.md";
    /** Within this ratio of throughputs two results tie. */
    static final double TIE = 1e-3;

    /**
     * What one report covers.
     *
     * @param prompt        prompt tokens of every trace
     * @param decode        decoded tokens of every trace
     * @param budget        replays of the oracle's annealing search in the main tables
     * @param maxWindow     largest {@code Wn} the search tries
     * @param profiles      hardware profiles of the main tables; the sweep runs on the first
     * @param configs       rows of each main table
     * @param reuse         step-to-step reuse levels of the sweep
     * @param sweepSparsity sparsities of the sweep
     * @param sweepBudget   replays of the annealing search in the sweep
     * @param threads       configurations evaluated at once
     */
    record Scale(int prompt, int decode, int budget, int maxWindow, List<HardwareProfile> profiles,
            List<Config> configs, double[] reuse, double[] sweepSparsity, int sweepBudget, int threads) {}

    /**
     * One row: a trace (sparsity, variation, and with {@code dynamics} the generator's dynamics of
     * real models: {@link #STABLE}, {@link #EARLY_LAYERS} at {@link #EARLY_VARIATION}, {@link #SHIFT})
     * replayed for one model.
     */
    record Config(String group, String label, ModelProfile model, double sparsity, double variation,
            boolean dynamics) {
        Config(String group, String label, ModelProfile model, double sparsity, double variation) {
            this(group, label, model, sparsity, variation, false);
        }

        /** The generator's step-to-step reuse of the persistent read set, {@code 1 - variation}. */
        double reuse() {
            return Math.round((1 - variation) * 100) / 100.0;
        }
    }

    /** The rows of one configuration and what its evaluation took. */
    record Evaluated(List<Evaluation.Row> rows, double wall, double measuredReuse) {}

    /** One row of a table. */
    record Outcome(Config config, HardwareProfile hw, Evaluated evaluated) {
        SimulationResult get(String policy) {
            for (Evaluation.Row r : evaluated.rows()) {
                if (r.result().policy().equals(policy)) {
                    return r.result();
                }
            }
            throw new IllegalArgumentException("no result for policy '" + policy + "' in " + config.label());
        }

        /** Throughput of {@code a} over throughput of {@code b}. */
        double ratio(String a, String b) {
            return get(b).totalTime() / get(a).totalTime();
        }

        /** Throughput of {@code policy} over the balanced bound's. */
        double ofBound(String policy) {
            SimulationResult r = get(policy);
            return r.balancedTime() / r.totalTime();
        }

        /** A row's name in prose. */
        String name() {
            return hw.name() + " " + config.group() + " " + config.label();
        }

        /** KV bytes at the end of the trace over all layers and sequences, GB. */
        double kvGb(int tokens) {
            ModelProfile m = config.model();
            return (double) tokens * m.kvBytesPerToken() * m.layers() * m.batch() / 1e9;
        }

        /** The KV one decode token reads over all layers at the end of the trace over the room left for KV. */
        double pressure(int tokens) {
            return kvGb(tokens) * (1 - config.sparsity()) * 1e9 / new CostModel(hw, config.model()).fastKvCapacity();
        }
    }

    /** Everything the report shows. */
    record Results(Scale scale, List<List<Outcome>> tables, List<Outcome> sweep, int evaluations, double seconds) {}

    private ReproductionReport() {}

    /** The report's scale: the paper's context, 256 decoded tokens. */
    static Scale report() {
        return new Scale(31_299, 256, 8, 32, List.of(HardwareProfile.gh200(), HardwareProfile.h100Pcie5()),
                configs(), new double[] {0.3, 0.5, 0.7, 0.9}, new double[] {0.40, 0.60, 0.85}, 8,
                Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
    }

    static List<Config> configs() {
        ModelProfile mha = ModelProfile.llama31_8bMha();
        ModelProfile gqa = ModelProfile.llama31_8b();
        double real = GeneratorConfig.VARIATION_REAL;
        List<Config> c = new ArrayList<>();
        for (double s : new double[] {0.40, 0.60, 0.85, 0.90}) {
            c.add(new Config("sparsity", pct(s), mha, s, real));
        }
        c.add(new Config("variation", "low", mha, 0.60, GeneratorConfig.VARIATION_LOW));
        c.add(new Config("variation", "real", mha, 0.60, real));
        c.add(new Config("variation", "high", mha, 0.60, GeneratorConfig.VARIATION_HIGH));
        for (int b : new int[] {1, 8, 32}) {
            c.add(new Config("batch", "gqa x" + b, gqa.withBatch(b), 0.60, real));
        }
        c.add(new Config("dynamics", "40%, real", mha, 0.40, real, true));
        c.add(new Config("dynamics", "60%, real", mha, 0.60, real, true));
        c.add(new Config("dynamics", "60%, high", mha, 0.60, GeneratorConfig.VARIATION_HIGH, true));
        return c;
    }

    /** The dynamics of real models in the "dynamics" rows: a stable share of each layer's read set. */
    static final double STABLE = 0.5;
    /** ... the first layers, which replace {@link #EARLY_VARIATION} of it per token ... */
    static final int EARLY_LAYERS = 2;
    static final double EARLY_VARIATION = 0.9;
    /** ... and the probability per token and layer that the changing part is redrawn at once. */
    static final double SHIFT = 0.01;

    static GeneratorConfig trace(Scale sc, Config c) {
        GeneratorConfig p = GeneratorConfig.paper();
        boolean d = c.dynamics();  // without: no stable share, no early layers, no shifts
        return new GeneratorConfig(sc.prompt(), sc.decode(), c.model().layers(), 1, c.sparsity(), p.sinkTokens(),
                p.recentTokens(), p.recencyBias(), c.variation(), 1, d ? STABLE : 0, d ? EARLY_LAYERS : 0,
                d ? EARLY_VARIATION : c.variation(), d ? SHIFT : 0);
    }

    /** The sweep's configurations: sparsity (outer) x reuse (inner), MHA batch 1. */
    static List<Config> sweepConfigs(Scale sc) {
        List<Config> out = new ArrayList<>();
        for (double sp : sc.sweepSparsity()) {
            for (double reuse : sc.reuse()) {
                out.add(new Config("reuse", pct(sp) + ", reuse " + reuse, ModelProfile.llama31_8bMha(), sp,
                        Math.round((1 - reuse) * 100) / 100.0));
            }
        }
        return out;
    }

    static int run(Path dir, PrintStream out, PrintStream err, boolean progress) throws IOException {
        return run(report(), dir, out, err, progress);
    }

    static int run(Scale sc, Path dir, PrintStream out, PrintStream err, boolean progress) throws IOException {
        Path charts = dir.resolve("charts");
        Files.createDirectories(charts);
        Results r = compute(sc, err, progress);
        writeCharts(r, charts);
        Outputs.writeString(dir.resolve("reproduction.md"), markdown(r));
        out.println("wrote " + dir.resolve("reproduction.md") + " and " + charts + "/*.png in "
                + String.format(Locale.ROOT, "%.0f s", r.seconds()));
        return 0;
    }

    /**
     * Evaluates every configuration, {@link Scale#threads} at a time; a configuration that appears
     * twice with the same trace, model, profile and search budget (the sparsity row and the
     * variation row at 60%, sweep cells equal to table rows) is evaluated once. Each evaluation is
     * seeded and independent, so the results do not depend on the order or the thread count.
     */
    static Results compute(Scale sc, PrintStream err, boolean progress) throws IOException {
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(sc.threads());
        boolean bars = progress && sc.threads() == 1; // bars of parallel tasks would overwrite each other
        Map<String, Future<Evaluated>> memo = new LinkedHashMap<>();
        try {
            List<List<Future<Evaluated>>> tables = new ArrayList<>();
            for (HardwareProfile hw : sc.profiles()) {
                List<Future<Evaluated>> t = new ArrayList<>();
                for (Config c : sc.configs()) {
                    t.add(submit(memo, pool, sc, hw, c, sc.budget(), err, bars));
                }
                tables.add(t);
            }
            HardwareProfile first = sc.profiles().get(0);
            List<Config> sweepConfigs = sweepConfigs(sc);
            List<Future<Evaluated>> sweep = new ArrayList<>();
            for (Config c : sweepConfigs) {
                sweep.add(submit(memo, pool, sc, first, c, sc.sweepBudget(), err, bars));
            }
            List<List<Outcome>> outs = new ArrayList<>();
            for (int p = 0; p < sc.profiles().size(); p++) {
                List<Outcome> t = new ArrayList<>();
                for (int i = 0; i < sc.configs().size(); i++) {
                    t.add(new Outcome(sc.configs().get(i), sc.profiles().get(p), join(tables.get(p).get(i))));
                }
                outs.add(t);
            }
            List<Outcome> sw = new ArrayList<>();
            for (int i = 0; i < sweepConfigs.size(); i++) {
                sw.add(new Outcome(sweepConfigs.get(i), first, join(sweep.get(i))));
            }
            return new Results(sc, outs, sw, memo.size(), (System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Future<Evaluated> submit(Map<String, Future<Evaluated>> memo, ExecutorService pool, Scale sc,
            HardwareProfile hw, Config c, int budget, PrintStream err, boolean bars) {
        GeneratorConfig g = trace(sc, c);
        String key = hw + "|" + c.model() + "|" + g + "|" + budget;
        return memo.computeIfAbsent(key, k -> pool.submit(() -> {
            long s = System.nanoTime();
            // Generated once into a temporary binary trace, which every replay then reads: at high
            // variation the generator costs far more per step than reading its output back (the
            // replays are the same, a trace file replays to the same moves as its source).
            Path file = Files.createTempFile("kvplace-report-", ".kvpt");
            List<Evaluation.Row> rows;
            double reuse;
            try {
                try (AccessTrace t = TraceGenerator.source(g).open()) {
                    Traces.writeFile(t, file);
                }
                TraceSource source = () -> TraceReader.open(file);
                // one search thread: the report's pool already runs configurations side by side
                rows = Evaluation.run(source, hw, c.model(), POLICIES, budget, sc.maxWindow(), 1, err, bars);
                reuse = measuredReuse(source);
            } finally {
                Files.deleteIfExists(file);
            }
            double wall = (System.nanoTime() - s) / 1e9;
            err.printf(Locale.ROOT, "[%s] %s x%d, sparsity %s, variation %s%s: %.0f s%n", hw.name(),
                    c.model().name(), c.model().batch(), pct(c.sparsity()), c.variation(),
                    c.dynamics() ? ", dynamics" : "", wall);
            return new Evaluated(rows, wall, reuse);
        }));
    }

    private static Evaluated join(Future<Evaluated> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the report's replays ran", e);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(t);
        }
    }

    /**
     * The step-to-step reuse a trace shows: over every decode step after a layer's first, the
     * share of the step's read units that the same layer's previous step also read.
     */
    static double measuredReuse(TraceSource source) throws IOException {
        try (AccessTrace t = source.open()) {
            TraceHeader h = t.header();
            TraceStep step = TraceStep.forHeader(h);
            int capacity = Bits.words(h.promptTokens() + h.decodeTokens() + 1);
            long[][] prev = new long[h.layers()][capacity];
            boolean[] seen = new boolean[h.layers()];
            long kept = 0;
            long read = 0;
            while (t.next(step)) {
                int l = step.layer();
                long[] bits = step.readBits();
                int words = Math.min(capacity, Bits.words(step.unitCount()));
                if (seen[l]) {
                    for (int w = 0; w < words; w++) {
                        kept += Long.bitCount(bits[w] & prev[l][w]);
                    }
                    read += step.readCount();
                }
                System.arraycopy(bits, 0, prev[l], 0, words);
                seen[l] = true;
            }
            return read == 0 ? Double.NaN : (double) kept / read;
        }
    }

    static void writeCharts(Results r, Path charts) throws IOException {
        Scale sc = r.scale();
        for (int p = 0; p < sc.profiles().size(); p++) {
            HardwareProfile hw = sc.profiles().get(p);
            for (String group : groups(sc)) {
                List<Outcome> g = r.tables().get(p).stream().filter(o -> o.config().group().equals(group)).toList();
                List<String> cats = g.stream().map(o -> o.config().label()).toList();
                double[][] v = values(g, SERIES, SimulationResult::normalised);
                BarChart.write(charts.resolve(hw.name() + "-" + group + ".png"),
                        hw.name() + ": throughput / balanced bound, by " + group, "normalised throughput", cats,
                        SERIES, v, top(v));
                List<String> hitSeries = SERIES.subList(0, SERIES.size() - 1); // all-fast's hit rate is 1
                BarChart.write(charts.resolve(hw.name() + "-" + group + "-hit.png"),
                        hw.name() + ": fast-tier hit rate (KV bytes), by " + group, "hit rate", cats, hitSeries,
                        values(g, hitSeries, SimulationResult::fastHitRate), 1.0);
            }
        }
        double[][] v = values(r.sweep(), SWEEP_SERIES, SimulationResult::normalised);
        BarChart.write(charts.resolve(onlineChart(sc)), sc.profiles().get(0).name()
                + ", MHA batch 1: online policies against the oracle, by sparsity and step-to-step reuse",
                "throughput / balanced bound", r.sweep().stream().map(o -> o.config().label()).toList(), SWEEP_SERIES,
                v, top(v));
    }

    static String onlineChart(Scale sc) {
        return sc.profiles().get(0).name() + "-online.png";
    }

    private static List<String> groups(Scale sc) {
        return sc.configs().stream().map(Config::group).distinct().toList();
    }

    private static double[][] values(List<Outcome> g, List<String> series, ToDoubleFunction<SimulationResult> f) {
        double[][] v = new double[g.size()][series.size()];
        for (int i = 0; i < g.size(); i++) {
            for (int j = 0; j < series.size(); j++) {
                v[i][j] = f.applyAsDouble(g.get(i).get(series.get(j)));
            }
        }
        return v;
    }

    private static double top(double[][] v) {
        double max = 1;
        for (double[] row : v) {
            for (double x : row) {
                max = Math.max(max, x);
            }
        }
        return Math.ceil(max * 10) / 10;
    }

    // ---- formatting -------------------------------------------------------------------------

    static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String pct(double share) {
        return Math.round(share * 100) + "%";
    }

    /** "a", "a and b", "a, b and c"; {@code none} when empty. */
    static String list(List<String> items, String none) {
        if (items.isEmpty()) {
            return none;
        }
        if (items.size() == 1) {
            return items.get(0);
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
    }

    private static String cell(SimulationResult r) {
        return f2(r.normalised()) + " (" + f2(r.fastHitRate()) + ")";
    }

    private static String range(List<Outcome> rows, ToDoubleFunction<Outcome> f) {
        double[] s = span(rows, f);
        return f2(s[0]).equals(f2(s[1])) ? f2(s[0]) : f2(s[0]) + " to " + f2(s[1]);
    }

    /** The smallest and the largest of {@code f} over {@code rows}. */
    private static double[] span(List<Outcome> rows, ToDoubleFunction<Outcome> f) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Outcome o : rows) {
            lo = Math.min(lo, f.applyAsDouble(o));
            hi = Math.max(hi, f.applyAsDouble(o));
        }
        return new double[] {lo, hi};
    }

    /** The rows matching {@code which}, each as "name (value)". */
    private static List<String> named(List<Outcome> rows, Predicate<Outcome> which, ToDoubleFunction<Outcome> value,
            String digits) {
        List<String> out = new ArrayList<>();
        for (Outcome o : rows) {
            if (which.test(o)) {
                double v = value.applyAsDouble(o);
                out.add(o.name() + " (" + (digits.equals("3") ? f3(v) : f2(v)) + ")");
            }
        }
        return out;
    }

    private static List<Outcome> all(Results r) {
        List<Outcome> out = new ArrayList<>();
        r.tables().forEach(out::addAll);
        return out;
    }

    // ---- the report -------------------------------------------------------------------------

    static String markdown(Results r) {
        Scale sc = r.scale();
        StringBuilder md = new StringBuilder();
        md.append(ReportText.intro(r));
        for (int p = 0; p < sc.profiles().size(); p++) {
            table(md, sc.profiles().get(p), r.tables().get(p), sc);
        }
        online(md, r);
        targets(md, r);
        shape(md, r);
        discussion(md, r);
        md.append('\n').append(paperSection());
        return md.toString();
    }

    private static void table(StringBuilder md, HardwareProfile hw, List<Outcome> outs, Scale sc) {
        int tokens = sc.prompt() + sc.decode();
        md.append("\n## ").append(hw.name()).append("\n\n");
        md.append(ReportText.TABLE_LEGEND);
        md.append("| group | config | static | reactive | arc | balance | page | oracle (Wn, R) | all-fast | "
                + "balance / oracle | balance / static | balance / bound | oracle / static | "
                + "oracle beats static, reactive, page | KV GB (end) | read set / room |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Outcome o : outs) {
            SimulationResult or = o.get("oracle");
            md.append("| ").append(o.config().group()).append(" | ").append(o.config().label());
            for (String p : List.of("static", "reactive", "arc", "balance", "page")) {
                md.append(" | ").append(cell(o.get(p)));
            }
            md.append(" | ").append(cell(or)).append(' ').append(or.detail())
                    .append(" | ").append(f2(o.get("all-fast").normalised()))
                    .append(" | ").append(f3(o.ratio("balance", "oracle")))
                    .append(" | ").append(f3(o.ratio("balance", "static")))
                    .append(" | ").append(f3(o.ofBound("balance")))
                    .append(" | ").append(f2(o.ratio("oracle", "static")))
                    .append(" | ").append(oracleBeats(o))
                    .append(" | ").append(f1(o.kvGb(tokens)))
                    .append(" | ").append(f2(o.pressure(tokens))).append(" |\n");
        }
        md.append("\n");
        for (String group : groups(sc)) {
            md.append("![").append(hw.name()).append(' ').append(group).append("](charts/").append(hw.name())
                    .append('-').append(group).append(".png)\n");
            md.append("![").append(hw.name()).append(' ').append(group).append(" hit rate](charts/")
                    .append(hw.name()).append('-').append(group).append("-hit.png)\n\n");
        }
    }

    /** "yes", "tie (within 0.1%)" or "**no**": the oracle against the paper's baselines. */
    static String oracleBeats(Outcome o) {
        double best = Math.min(o.get("static").totalTime(),
                Math.min(o.get("reactive").totalTime(), o.get("page").totalTime()));
        double or = o.get("oracle").totalTime();
        return or < best * (1 - TIE) ? "yes" : or <= best * (1 + TIE) ? "tie (within 0.1%)" : "**no**";
    }

    /** Balance reaches the oracle: its throughput is at least the oracle's, within {@link #TIE}. */
    static boolean reaches(Outcome o) {
        return o.ratio("balance", "oracle") >= 1 - TIE;
    }

    private static void online(StringBuilder md, Results r) {
        Scale sc = r.scale();
        List<Outcome> sw = r.sweep();
        md.append(ReportText.online(r));
        md.append("| sparsity, reuse | variation | measured reuse | static | reactive | arc | balance | oracle (Wn, R) "
                + "| balance / oracle | balance / bound | oracle / bound | balance / static | balance migrated GB "
                + "| oracle migrated GB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Outcome o : sw) {
            SimulationResult or = o.get("oracle");
            md.append("| ").append(o.config().label()).append(" | ").append(o.config().variation()).append(" | ")
                    .append(f2(o.evaluated().measuredReuse()));
            for (String p : List.of("static", "reactive", "arc", "balance")) {
                md.append(" | ").append(cell(o.get(p)));
            }
            md.append(" | ").append(cell(or)).append(' ').append(or.detail())
                    .append(" | ").append(f3(o.ratio("balance", "oracle")))
                    .append(" | ").append(f3(o.ofBound("balance")))
                    .append(" | ").append(f3(o.ofBound("oracle")))
                    .append(" | ").append(f3(o.ratio("balance", "static")))
                    .append(" | ").append(f1(o.get("balance").bytesMigrated() / 1e9))
                    .append(" | ").append(f1(or.bytesMigrated() / 1e9)).append(" |\n");
        }
        md.append("\n![online against the oracle](charts/").append(onlineChart(sc)).append(")\n\n");
        md.append(onlineFindings(sw));
    }

    /** A cell of the sweep in prose: "40% sparsity, reuse 0.3". */
    private static String sweepName(Outcome o) {
        return pct(o.config().sparsity()) + " sparsity, reuse " + o.config().reuse();
    }

    private static List<String> sweepNamed(List<Outcome> rows, Predicate<Outcome> which,
            ToDoubleFunction<Outcome> value) {
        List<String> out = new ArrayList<>();
        for (Outcome o : rows) {
            if (which.test(o)) {
                out.add(sweepName(o) + " (" + f3(value.applyAsDouble(o)) + ")");
            }
        }
        return out;
    }

    /** The generated findings of the sweep; every number is a cell of the sweep's table. */
    static String onlineFindings(List<Outcome> sw) {
        StringBuilder s = new StringBuilder();
        ToDoubleFunction<Outcome> bo = o -> o.ratio("balance", "oracle");
        List<String> reach = sweepNamed(sw, ReproductionReport::reaches, bo);
        List<String> shortOf = sweepNamed(sw, o -> !reaches(o), bo);
        s.append(String.format(Locale.ROOT, "**Where balance reaches the oracle** (balance / oracle at least %s): "
                + "in %d of %d cells: %s. ", f3(1 - TIE), reach.size(), sw.size(), list(reach, "none")));
        s.append(shortOf.isEmpty() ? "It falls short in no cell.\n\n"
                : "It falls short in " + list(shortOf, "none") + ".\n\n");
        List<String> oracle90 = sweepNamed(sw, o -> o.ofBound("oracle") >= 0.9, o -> o.ofBound("balance"));
        List<String> below95 = sweepNamed(sw, o -> o.ofBound("oracle") >= 0.9 && o.ofBound("balance") < 0.95,
                o -> o.ofBound("balance"));
        s.append(String.format(Locale.ROOT, "**Against the bound.** The oracle reaches %s of the balanced bound in "
                + "%d cells; balance / bound there: %s. Among them balance stays below %s of the bound in %s.\n\n",
                f2(0.9), oracle90.size(), list(oracle90, "none"), f2(0.95), list(below95, "none")));
        List<String> belowStatic = sweepNamed(sw, o -> o.ratio("balance", "static") < 0.99,
                o -> o.ratio("balance", "static"));
        s.append(String.format(Locale.ROOT, "**Against static.** balance / static ranges over %s; balance is below "
                + "static by more than 1%% in %s.", rangeOf(sw, o -> o.ratio("balance", "static")),
                list(belowStatic, "no cell")));
        List<String> arcBelow = sweepNamed(sw, o -> o.ratio("arc", "static") < 1 - TIE, o -> o.ratio("arc", "static"));
        s.append(" arc is below static (arc / static) in ").append(list(arcBelow, "no cell")).append(".\n\n");
        return s.toString();
    }

    private static String rangeOf(List<Outcome> rows, ToDoubleFunction<Outcome> f) {
        double[] s = span(rows, f);
        return f3(s[0]) + " to " + f3(s[1]);
    }

    /** Issue 11's targets, checked on every row of the main tables. */
    private static void targets(StringBuilder md, Results r) {
        List<Outcome> all = all(r);
        HardwareProfile first = r.scale().profiles().get(0);
        Predicate<Outcome> onFirst = o -> o.hw().name().equals(first.name());
        Predicate<Outcome> real = o -> o.config().model().batch() == 1 && o.config().model().kvBytesPerToken()
                == ModelProfile.llama31_8bMha().kvBytesPerToken() && o.config().variation()
                == GeneratorConfig.VARIATION_REAL;
        Predicate<Outcome> t1rows = onFirst.and(real).and(o -> o.config().group().equals("sparsity")
                && (o.config().sparsity() == 0.40 || o.config().sparsity() == 0.60));
        Predicate<Outcome> t2rows = onFirst.and(o -> o.config().group().equals("variation")
                && o.config().variation() == GeneratorConfig.VARIATION_HIGH);
        Predicate<Outcome> t3rows = o -> o.ofBound("oracle") >= 0.9;
        Predicate<Outcome> d1rows = onFirst.and(o -> o.config().group().equals("dynamics")
                && o.config().variation() == GeneratorConfig.VARIATION_REAL);
        Predicate<Outcome> d2rows = onFirst.and(o -> o.config().group().equals("dynamics")
                && o.config().variation() == GeneratorConfig.VARIATION_HIGH);
        md.append(ReportText.targets(r));
        md.append("| target | rows checked | holds in | fails in |\n|---|---|---|---|\n");
        target(md, "balance / oracle >= 1 on real variation at 40% and 60% sparsity (" + first.name()
                + ", MHA batch 1)", all, t1rows, o -> o.ratio("balance", "oracle") >= 1 - TIE,
                o -> o.ratio("balance", "oracle"));
        target(md, "balance / oracle > 1 on high variation (" + first.name() + ", MHA batch 1)", all, t2rows,
                o -> o.ratio("balance", "oracle") > 1 + TIE, o -> o.ratio("balance", "oracle"));
        target(md, "the same two on traces with real dynamics: balance / oracle >= 1 on real variation (40%, 60%)",
                all, d1rows, o -> o.ratio("balance", "oracle") >= 1 - TIE, o -> o.ratio("balance", "oracle"));
        target(md, "... and balance / oracle > 1 on high variation", all, d2rows,
                o -> o.ratio("balance", "oracle") > 1 + TIE, o -> o.ratio("balance", "oracle"));
        target(md, "balance / bound >= 0.95 where oracle / bound >= 0.90 (every row, both profiles)", all, t3rows,
                o -> o.ofBound("balance") >= 0.95, o -> o.ofBound("balance"));
        target(md, "balance / static >= 0.99 (every row, both profiles)", all, o -> true,
                o -> o.ratio("balance", "static") >= 0.99, o -> o.ratio("balance", "static"));
        md.append("\n").append(ReportText.TARGETS_NOTE);
    }

    private static void target(StringBuilder md, String name, List<Outcome> all, Predicate<Outcome> rows,
            Predicate<Outcome> holds, ToDoubleFunction<Outcome> value) {
        List<Outcome> okRows = all.stream().filter(rows.and(holds)).toList();
        List<String> ok = named(all, rows.and(holds), value, "3");
        List<String> bad = named(all, rows.and(holds.negate()), value, "3");
        String held = ok.size() <= 4 ? list(ok, "none") : ok.size() + " rows, the lowest "
                + min(okRows, value).name() + " (" + f3(value.applyAsDouble(min(okRows, value))) + ")";
        md.append("| ").append(name).append(" | ").append(ok.size() + bad.size()).append(" | ")
                .append(held).append(" | ").append(bad.isEmpty() ? "none" : "**" + list(bad, "") + "**")
                .append(" |\n");
    }

    private static void shape(StringBuilder md, Results r) {
        md.append(ReportText.shapeHead());
        List<Outcome> first = r.tables().get(0);
        List<Outcome> last = r.tables().get(r.tables().size() - 1);
        String h0 = r.scale().profiles().get(0).name();
        String h1 = r.scale().profiles().get(r.tables().size() - 1).name();
        shapeRow(md, "kvplace, " + h0 + ", MHA batch 1, 60%", first, "sparsity", "60%");
        shapeRow(md, "kvplace, " + h0 + ", MHA batch 1, 40%", first, "sparsity", "40%");
        shapeRow(md, "kvplace, " + h0 + ", GQA batch 8, 60%", first, "batch", "gqa x8");
        shapeRow(md, "kvplace, " + h1 + ", GQA batch 32, 60%", last, "batch", "gqa x32");
        md.append("\n").append(ReportText.SHAPE_NOTE);
    }

    private static void shapeRow(StringBuilder md, String label, List<Outcome> outs, String group, String config) {
        for (Outcome o : outs) {
            if (o.config().group().equals(group) && o.config().label().equals(config)) {
                md.append("| ").append(label);
                for (String p : List.of("static", "reactive", "arc", "balance", "page", "oracle")) {
                    md.append(" | ").append(f2(o.get(p).normalised()));
                }
                md.append(" | ").append(f2(o.ratio("oracle", "static"))).append("x |\n");
            }
        }
    }

    private static void discussion(StringBuilder md, Results r) {
        Scale sc = r.scale();
        int tokens = sc.prompt() + sc.decode();
        List<Outcome> all = all(r);
        Predicate<Outcome> fits = o -> o.pressure(tokens) <= 1;
        md.append(ReportText.DISCUSSION_HEAD);
        int n = 1;
        // 1. pressure
        md.append(n++).append(". **Whether the read set fits the fast tier decides most rows.** ")
                .append("`read set / room` is the KV one decode token reads over all layers at the end of the trace "
                        + "over the fast tier left for KV. It exceeds 1 in ")
                .append(list(named(all, fits.negate(), o -> o.pressure(tokens), "2"), "no row"))
                .append(". Elsewhere a policy that keeps the read set in the fast tier runs at all-fast speed: "
                        + "all-fast over the bound is ");
        List<String> af = new ArrayList<>();
        for (int p = 0; p < sc.profiles().size(); p++) {
            af.add(range(r.tables().get(p), o -> o.get("all-fast").normalised()) + " on "
                    + sc.profiles().get(p).name());
        }
        md.append(list(af, "")).append(".\n");
        // 2. static
        List<Outcome> first = r.tables().get(0);
        Outcome lo = min(first, o -> o.get("static").normalised());
        Outcome hi = max(first, o -> o.get("static").normalised());
        md.append(n++).append(". **Static** holds the oldest tokens that fit and never moves one; the weights, read "
                + "from the fast tier every step, dilute its slow reads. On ").append(sc.profiles().get(0).name())
                .append(" it ranges from ").append(f2(lo.get("static").normalised())).append(" (")
                .append(lo.config().label()).append(", hit rate ").append(f2(lo.get("static").fastHitRate()))
                .append(") to ").append(f2(hi.get("static").normalised())).append(" (").append(hi.config().label())
                .append(", hit rate ").append(f2(hi.get("static").fastHitRate()))
                .append("): where a step's KV is small beside its weights, static's fixed split is close to the "
                        + "balanced one.\n");
        // 3. reactive and arc
        Predicate<Outcome> over = fits.negate();
        ToDoubleFunction<Outcome> reHit = o -> o.get("reactive").fastHitRate();
        Predicate<Outcome> reBelow = o -> o.ratio("reactive", "static") < 1 - TIE;
        Predicate<Outcome> arcBelow = o -> o.ratio("arc", "static") < 1 - TIE;
        md.append(n++).append(". **Reactive and arc promote every miss.** Their recency (and, for arc, frequency) "
                + "lists span all layers, which are visited cyclically. Reactive is below static in ")
                .append(list(named(all, reBelow, o -> o.get("reactive").normalised(), "2"), "no row"))
                .append("; arc in ")
                .append(list(named(all, arcBelow, o -> o.get("arc").normalised(), "2"), "no row"))
                .append(". Where the read sets exceed the room, a unit is evicted before its layer comes round "
                        + "again and reactive's hit rate collapses: ")
                .append(list(named(all, over, reHit, "2"), "no row"))
                .append(". Where they fit, reactive is still below static in ")
                .append(list(named(all, fits.and(reBelow), o -> o.ratio("reactive", "static"), "2"), "no row"))
                .append(" (reactive / static): there the promotions it pays for every miss cost more than the hits "
                        + "they buy, on a slow link or where static's split is already near the balanced one.\n");
        // 4. page and the oracle
        md.append(n++).append(". **Page and the oracle** know the future (the next step's pages; a window of `Wn` "
                + "steps). The oracle beats static, reactive and page in ")
                .append(all.stream().filter(o -> oracleBeats(o).equals("yes")).count()).append(" of ")
                .append(all.size()).append(" rows and ties in ")
                .append(all.stream().filter(o -> oracleBeats(o).startsWith("tie")).count())
                .append("; it loses in ")
                .append(list(named(all, o -> oracleBeats(o).contains("no"), o -> o.get("oracle").normalised(), "2"),
                        "no row"))
                .append(". ");
        List<String> pastAllFast = named(all, o -> o.ratio("oracle", "all-fast") > 1 + TIE,
                o -> o.get("oracle").normalised(), "2");
        md.append(pastAllFast.isEmpty() ? "It runs faster than all-fast in no row: its search found no point that "
                + "leaves part of each step's reads in the slow tier, as the balanced split does.\n"
                : "It runs faster than all-fast in " + list(pastAllFast, "") + ": only there did its search find a "
                + "point that leaves part of each step's reads in the slow tier, as the balanced split does.\n");
        // 5. balance
        md.append(n++).append(". **Balance** aims each step at the balanced split without knowing the future. ")
                .append("balance / oracle is at least ").append(f3(1 - TIE)).append(" in ")
                .append(all.stream().filter(ReproductionReport::reaches).count()).append(" of ").append(all.size())
                .append(" rows; below in ")
                .append(list(named(all, o -> !reaches(o), o -> o.ratio("balance", "oracle"), "3"), "no row"))
                .append(". balance / static ranges over ").append(rangeOf(all, o -> o.ratio("balance", "static")))
                .append(".\n");
        // 6. the bound
        ToDoubleFunction<Outcome> bestOfBound = o -> {
            double best = 0;
            for (String p : List.of("static", "reactive", "arc", "balance", "page", "oracle")) {
                best = Math.max(best, o.ofBound(p));
            }
            return best;
        };
        Outcome loose = min(all, bestOfBound);
        md.append(n++).append(". **The balanced bound is loose under heavy pressure.** It lets every step use the "
                + "whole room for its own reads (capacity is checked per step, not across the layers that share "
                + "it). The best policy of a row reaches from ").append(f2(bestOfBound.applyAsDouble(loose)))
                .append(" of it (").append(loose.name()).append(") to ")
                .append(f2(bestOfBound.applyAsDouble(max(all, bestOfBound))))
                .append(". It remains a lower bound on time (a tested invariant).\n");
        // 7. the second profile
        if (sc.profiles().size() > 1) {
            HardwareProfile a = sc.profiles().get(0);
            HardwareProfile b = sc.profiles().get(1);
            List<Outcome> t = r.tables().get(1);
            Predicate<Outcome> tie = o -> {
                for (String p : List.of("static", "reactive", "arc", "balance", "page", "oracle")) {
                    if (Math.abs(o.ratio(p, "all-fast") - 1) > TIE) {
                        return false;
                    }
                }
                return true;
            };
            md.append(n++).append(". **").append(b.name()).append("** has ")
                    .append(f1(new CostModel(b, ModelProfile.llama31_8bMha()).fastKvCapacity() / 1e9))
                    .append(" GB of its fast tier for KV, and its slow link reads at ").append(f1(b.slowRead() / 1e9))
                    .append(" GB/s, ").append(f1(a.slowRead() / b.slowRead())).append("x slower than ")
                    .append(a.name()).append("'s. Every policy runs within 0.1% of all-fast in ")
                    .append(t.stream().filter(tie).count()).append(" of ").append(t.size())
                    .append(" rows; in the others (static, balance, oracle over the bound): ");
            List<String> off = new ArrayList<>();
            for (Outcome o : t) {
                if (!tie.test(o)) {
                    off.add(o.name() + " (" + f2(o.get("static").normalised()) + ", "
                            + f2(o.get("balance").normalised()) + ", " + f2(o.get("oracle").normalised()) + ")");
                }
            }
            md.append(list(off, "none")).append(".\n");
        }
        md.append(n).append(". **The oracle is one seeded search, not an optimum.** It is the best of ")
                .append(sc.budget()).append(" annealing replays over `(Wn <= ").append(sc.maxWindow())
                .append(", R)`; a different budget follows a different path. It evicts only units of its own layer "
                        + "and only as much as its promotions need, which keeps it below the bound under pressure.\n");
        md.append(String.format(Locale.ROOT, "%n_Generated by `./scripts/reproduce.sh`: %d evaluations in %.0f s of "
                + "wall time on the machine that ran it._%n", r.evaluations(), r.seconds()));
    }

    private static Outcome min(List<Outcome> rows, ToDoubleFunction<Outcome> f) {
        Outcome best = rows.get(0);
        for (Outcome o : rows) {
            if (f.applyAsDouble(o) < f.applyAsDouble(best)) {
                best = o;
            }
        }
        return best;
    }

    private static Outcome max(List<Outcome> rows, ToDoubleFunction<Outcome> f) {
        return min(rows, o -> -f.applyAsDouble(o));
    }

    /** The record of the author's simulator, verbatim. */
    static String paperSection() {
        try (InputStream in = ReproductionReport.class.getResourceAsStream(PAPER_SECTION)) {
            if (in == null) {
                throw new IllegalStateException("resource " + PAPER_SECTION + " missing from the examples jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + PAPER_SECTION, e);
        }
    }

    /** Page size of the page policy, for the prose. */
    static int pageTokens() {
        return PagePolicy.PAGE_TOKENS;
    }
}
