package org.kvplace.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.sim.AnnealingSearch;
import org.kvplace.core.sim.ProgressListener;
import org.kvplace.core.sim.Replay;
import org.kvplace.core.sim.SimulationResult;
import org.kvplace.core.sim.Simulator;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.Traces;

/** Runs a list of policies and references over one trace and formats the results. */
final class Evaluation {

    /** Policy names the command accepts besides {@code oracle:WN:R}. */
    static final List<String> ALL = List.of("static", "reactive", "arc", "balance", "page", "oracle", "all-fast",
            "balanced-bound");

    /** The chart files {@link #plot} writes. */
    static final String THROUGHPUT_PNG = "throughput.png";
    static final String HIT_RATE_PNG = "hit-rate.png";

    /** One row: a result and the wall time its replay took (0 for references). */
    record Row(SimulationResult result, double wallSeconds, long steps) {
        String label() {
            return result.policy() + (result.detail().isEmpty() ? "" : result.detail());
        }
    }

    private Evaluation() {}

    static List<String> parsePolicies(String spec) {
        List<String> out = new ArrayList<>();
        for (String p : spec.split(",")) {
            String n = p.trim().toLowerCase(Locale.ROOT);
            if (n.equals("all")) {
                out.addAll(ALL);
            } else if (ALL.contains(n) || n.startsWith("oracle:")) {
                if (n.startsWith("oracle:")) {
                    Policies.byName(n); // validates
                }
                out.add(n);
            } else {
                throw new UsageException("unknown policy '" + p + "' (known: all, " + String.join(", ", ALL)
                        + ", oracle:WN:R)");
            }
        }
        return out;
    }

    /**
     * Runs the policies in order. {@code oracle} runs the annealing search, its replays on up to
     * {@code searchThreads} threads (the same outcome on any number); the references come from
     * the first replay (or a static replay when only references are asked for).
     */
    static List<Row> run(TraceSource source, HardwareProfile hw, ModelProfile model, List<String> policies,
            int annealBudget, int maxWindow, int searchThreads, PrintStream err, boolean progress)
            throws IOException {
        Simulator sim = new Simulator(hw, model);
        if (policies.contains("oracle")) {
            // the search replays the trace a dozen times, on several threads: held in memory
            // (where it fits in a third of the heap), it is generated or decoded once
            long t0 = System.nanoTime();
            TraceSource held = Traces.inMemory(source, Runtime.getRuntime().maxMemory() / 3);
            if (held != source) {
                err.printf(Locale.ROOT, "trace held in memory for the search: %.1f s%n",
                        (System.nanoTime() - t0) / 1e9);
                source = held;
            }
        }
        List<Row> rows = new ArrayList<>();
        SimulationResult allFast = null;
        SimulationResult balanced = null;
        for (String p : policies) {
            if (p.equals("all-fast") || p.equals("balanced-bound")) {
                continue;
            }
            long t0 = System.nanoTime();
            SimulationResult r;
            Replay replay;
            long steps;
            if (p.equals("oracle")) {
                sim.progress(new ProgressBar(err, "oracle search", progress));
                AnnealingSearch.Outcome o = new AnnealingSearch(sim, maxWindow, annealBudget, 1)
                        .threads(searchThreads).search(source);
                replay = o.best().replay();
                r = replay.result();
                steps = (long) o.evaluated().size() * replay.steps();
                err.printf(Locale.ROOT, "oracle: %d replays of the annealing search, best Wn=%d R=%.2f%s%n",
                        o.evaluated().size(), o.best().window(), o.best().fraction(),
                        searchThreads == 1 ? "" : String.format(Locale.ROOT, " (%d started on %d threads)",
                                o.replays(), searchThreads));
            } else {
                sim.progress(new ProgressBar(err, p, progress));
                replay = sim.replay(source, Policies.byName(p, sim.costModel()));
                r = replay.result();
                steps = replay.steps();
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            rows.add(new Row(r, wall, steps));
            if (allFast == null) {
                allFast = replay.allFast();
                balanced = replay.bound();
            }
        }
        if (allFast == null && (policies.contains("all-fast") || policies.contains("balanced-bound"))) {
            sim.progress(new ProgressBar(err, "references", progress));
            Replay replay = sim.replay(source, Policies.byName("static"));
            allFast = replay.allFast();
            balanced = replay.bound();
        }
        if (policies.contains("all-fast")) {
            rows.add(new Row(allFast, 0, 0));
        }
        if (policies.contains("balanced-bound")) {
            rows.add(new Row(balanced, 0, 0));
        }
        return rows;
    }

    static double staticTime(List<Row> rows) {
        for (Row r : rows) {
            if (r.result().policy().equals("static")) {
                return r.result().totalTime();
            }
        }
        return Double.NaN;
    }

    static void printTable(List<Row> rows, PrintStream out) {
        double st = staticTime(rows);
        out.printf(Locale.ROOT, "%-26s %11s %10s %7s %8s %8s %8s %10s %10s %10s%n", "policy", "total_s", "tokens/s",
                "norm", "x_static", "hit_kv", "hit_all", "fast_GB", "slow_GB", "migr_GB");
        for (Row row : rows) {
            SimulationResult r = row.result();
            out.printf(Locale.ROOT, "%-26s %11.4f %10.2f %7.3f %8s %8.3f %8.3f %10.2f %10.2f %10.2f%n", row.label(),
                    r.totalTime(), r.tokensPerSecond(), r.normalised(),
                    Double.isNaN(st) ? "-" : String.format(Locale.ROOT, "%.2f", st / r.totalTime()), r.fastHitRate(),
                    r.fastHitRateWithWeights(), r.bytesFast() / 1e9, r.bytesSlow() / 1e9, r.bytesMigrated() / 1e9);
        }
        out.println("norm = throughput / best reference (the lower time of all-fast and balanced-bound)");
    }

    static void printPerLayer(List<Row> rows, PrintStream out) {
        for (Row row : rows) {
            SimulationResult r = row.result();
            if (r.layerTime().length == 0) {
                continue;
            }
            out.println("per layer, " + row.label() + ": layer time_s hit_kv");
            for (int l = 0; l < r.layerTime().length; l++) {
                out.printf(Locale.ROOT, "  %3d %10.4f %7.3f%n", l, r.layerTime()[l], r.layerHitRate()[l]);
            }
        }
    }

    static void writeCsv(List<Row> rows, Path file) throws IOException {
        StringBuilder sb = new StringBuilder(
                "policy,total_time_s,tokens_per_s,fast_hit_rate,bytes_fast,bytes_slow,bytes_migrated\n");
        for (Row row : rows) {
            SimulationResult r = row.result();
            sb.append(String.format(Locale.ROOT, "%s,%.9g,%.6g,%.6f,%d,%d,%d%n", row.label().replace(',', ';'),
                    r.totalTime(), r.tokensPerSecond(), r.fastHitRate(), r.bytesFast(), r.bytesSlow(),
                    r.bytesMigrated()));
        }
        Outputs.writeString(file, sb.toString());
    }

    static List<Path> plot(List<Row> rows, Path dir, String title) throws IOException {
        Files.createDirectories(dir);
        List<String> names = rows.stream().map(r -> r.result().policy()).toList();
        double[][] norm = new double[names.size()][1];
        double[][] hit = new double[names.size()][2];
        double max = 0;
        for (int i = 0; i < rows.size(); i++) {
            norm[i][0] = rows.get(i).result().normalised();
            max = Math.max(max, norm[i][0]);
            hit[i][0] = rows.get(i).result().fastHitRate();
            hit[i][1] = rows.get(i).result().fastHitRateWithWeights();
        }
        Path a = dir.resolve(THROUGHPUT_PNG);
        BarChart.write(a, title + ": throughput / best reference", "normalised throughput", names,
                List.of("normalised"), norm, Math.max(1.0, Math.ceil(max * 10) / 10));
        Path b = dir.resolve(HIT_RATE_PNG);
        BarChart.write(b, title + ": fast-tier hit rate by bytes", "hit rate", names,
                List.of("KV only", "weights included"), hit, 1.0);
        return List.of(a, b);
    }
}
