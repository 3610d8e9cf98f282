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
import org.kvplace.core.sim.SimulationResult;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;

/**
 * Regenerates {@code docs/reproduction.md} and its charts ({@code kvplace simulate --scenario
 * report}): every policy and reference over a sparsity sweep, a variation sweep and a batch
 * sweep, under both hardware profiles, at a reduced decode length.
 */
final class ReproductionReport {

    /** Decode tokens per configuration (the paper: 10,240). */
    static final int DECODE = 256;
    static final int PROMPT = 31_299;
    static final int BUDGET = 8;
    static final int MAX_WINDOW = 32;
    static final List<String> POLICIES = List.of("static", "reactive", "arc", "balance", "page", "oracle",
            "all-fast", "balanced-bound");
    static final List<String> SERIES = List.of("static", "reactive", "arc", "balance", "page", "oracle", "all-fast");
    /** The "online against the oracle" sweep: step-to-step reuse (1 - variation) x sparsity, gh200. */
    static final double[] REUSE = {0.3, 0.5, 0.7, 0.9};
    static final double[] SWEEP_SPARSITY = {0.4, 0.6};
    static final int SWEEP_BUDGET = 4;
    static final List<String> SWEEP_POLICIES = List.of("static", "arc", "balance", "oracle", "all-fast",
            "balanced-bound");

    record Config(String group, String label, ModelProfile model, double sparsity, double variation) {}

    record Outcome(Config config, List<Evaluation.Row> rows, double wall) {
        SimulationResult get(String policy) {
            for (Evaluation.Row r : rows) {
                if (r.result().policy().equals(policy)) {
                    return r.result();
                }
            }
            throw new IllegalArgumentException(policy);
        }
    }

    private ReproductionReport() {}

    static List<Config> configs() {
        ModelProfile mha = ModelProfile.llama31_8bMha();
        ModelProfile gqa = ModelProfile.llama31_8b();
        double real = GeneratorConfig.VARIATION_REAL;
        List<Config> c = new ArrayList<>();
        for (double s : new double[] {0.40, 0.60, 0.85, 0.90}) {
            c.add(new Config("sparsity", Math.round(s * 100) + "%", mha, s, real));
        }
        c.add(new Config("variation", "low", mha, 0.60, GeneratorConfig.VARIATION_LOW));
        c.add(new Config("variation", "real", mha, 0.60, real));
        c.add(new Config("variation", "high", mha, 0.60, GeneratorConfig.VARIATION_HIGH));
        for (int b : new int[] {1, 8, 32}) {
            c.add(new Config("batch", "gqa x" + b, gqa.withBatch(b), 0.60, real));
        }
        return c;
    }

    static GeneratorConfig trace(Config c) {
        GeneratorConfig p = GeneratorConfig.paper();
        return new GeneratorConfig(PROMPT, DECODE, 32, 1, c.sparsity(), p.sinkTokens(), p.recentTokens(),
                p.recencyBias(), c.variation(), 1);
    }

    static int run(Path dir, PrintStream out, PrintStream err, boolean progress) throws IOException {
        Path charts = dir.resolve("charts");
        Files.createDirectories(charts);
        long t0 = System.nanoTime();
        List<HardwareProfile> profiles = List.of(HardwareProfile.gh200(), HardwareProfile.h100Pcie5());
        List<List<Outcome>> all = new ArrayList<>();
        for (HardwareProfile hw : profiles) {
            List<Outcome> outs = new ArrayList<>();
            for (Config c : configs()) {
                err.println("[" + hw.name() + "] " + c.group() + " " + c.label() + " ...");
                long s = System.nanoTime();
                List<Evaluation.Row> rows = Evaluation.run(TraceGenerator.source(trace(c)), hw, c.model(), POLICIES,
                        BUDGET, MAX_WINDOW, err, progress);
                outs.add(new Outcome(c, rows, (System.nanoTime() - s) / 1e9));
            }
            all.add(outs);
            for (String group : List.of("sparsity", "variation", "batch")) {
                List<Outcome> g = outs.stream().filter(o -> o.config().group().equals(group)).toList();
                double[][] v = new double[g.size()][SERIES.size()];
                double max = 1;
                for (int i = 0; i < g.size(); i++) {
                    for (int j = 0; j < SERIES.size(); j++) {
                        v[i][j] = g.get(i).get(SERIES.get(j)).normalised();
                        max = Math.max(max, v[i][j]);
                    }
                }
                List<String> cats = g.stream().map(o -> o.config().label()).toList();
                BarChart.write(charts.resolve(hw.name() + "-" + group + ".png"),
                        hw.name() + ": throughput / balanced bound, by " + group, "normalised throughput", cats,
                        SERIES, v, Math.ceil(max * 10) / 10);
                int hs = SERIES.size() - 1;  // all-fast's hit rate is 1 by definition
                double[][] h = new double[g.size()][hs];
                for (int i = 0; i < g.size(); i++) {
                    for (int j = 0; j < hs; j++) {
                        h[i][j] = g.get(i).get(SERIES.get(j)).fastHitRate();
                    }
                }
                BarChart.write(charts.resolve(hw.name() + "-" + group + "-hit.png"),
                        hw.name() + ": fast-tier hit rate (KV bytes), by " + group, "hit rate", cats,
                        SERIES.subList(0, hs), h, 1.0);
            }
        }
        List<Outcome> sweep = new ArrayList<>();
        HardwareProfile gh = profiles.get(0);
        for (double sp : SWEEP_SPARSITY) {
            for (double reuse : REUSE) {
                Config c = new Config("reuse", Math.round(sp * 100) + "% / reuse " + reuse,
                        ModelProfile.llama31_8bMha(), sp, Math.round((1 - reuse) * 100) / 100.0);
                err.println("[" + gh.name() + "] " + c.label() + " ...");
                long s = System.nanoTime();
                List<Evaluation.Row> rows = Evaluation.run(TraceGenerator.source(trace(c)), gh, c.model(),
                        SWEEP_POLICIES, SWEEP_BUDGET, MAX_WINDOW, err, progress);
                sweep.add(new Outcome(c, rows, (System.nanoTime() - s) / 1e9));
            }
        }
        List<String> sweepSeries = List.of("static", "arc", "balance", "oracle");
        for (double sp : SWEEP_SPARSITY) {
            String tag = Math.round(sp * 100) + "%";
            List<Outcome> g = sweep.stream().filter(o -> o.config().label().startsWith(tag + " ")).toList();
            double[][] v = new double[g.size()][sweepSeries.size()];
            for (int i = 0; i < g.size(); i++) {
                for (int j = 0; j < sweepSeries.size(); j++) {
                    v[i][j] = g.get(i).get(sweepSeries.get(j)).normalised();
                }
            }
            List<String> cats = g.stream().map(o -> o.config().label().substring(tag.length() + 3)).toList();
            BarChart.write(charts.resolve(gh.name() + "-online-" + Math.round(sp * 100) + ".png"),
                    gh.name() + ", " + tag + " sparsity: online policies against the oracle, by step-to-step reuse",
                    "throughput / best reference", cats, sweepSeries, v, 1.0);
        }
        double total = (System.nanoTime() - t0) / 1e9;
        Outputs.writeString(dir.resolve("reproduction.md"), markdown(profiles, all, sweep, total));
        out.println("wrote " + dir.resolve("reproduction.md") + " and " + charts + "/*.png in "
                + String.format(Locale.ROOT, "%.0f s", total));
        return 0;
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String markdown(List<HardwareProfile> profiles, List<List<Outcome>> all, List<Outcome> sweep,
            double total) {
        StringBuilder md = new StringBuilder();
        md.append(ReportText.INTRO.formatted(PROMPT, DECODE, DECODE * 32, BUDGET, MAX_WINDOW));
        for (int p = 0; p < profiles.size(); p++) {
            HardwareProfile hw = profiles.get(p);
            md.append("\n## ").append(hw.name()).append("\n\n");
            md.append("Throughput normalised to the best reference (the lower time of all-fast and the balanced "
                    + "bound; 1.00 = the bound), fast-tier hit rate by KV bytes in brackets.\n\n");
            md.append("| group | config | static | reactive | arc | balance | page | oracle (Wn, R) | all-fast | "
                    + "balance / oracle | oracle / static | oracle beats all baselines | KV GB (end) |\n"
                    + "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Outcome o : all.get(p)) {
                SimulationResult st = o.get("static"), re = o.get("reactive"), pg = o.get("page"),
                        or = o.get("oracle"), af = o.get("all-fast"), ar = o.get("arc"), ba = o.get("balance");
                double bestBaseline = Math.min(st.totalTime(), Math.min(re.totalTime(), pg.totalTime()));
                String beats = or.totalTime() < bestBaseline * (1 - 1e-3) ? "yes"
                        : or.totalTime() <= bestBaseline * (1 + 1e-3) ? "tie (within 0.1%)" : "**no**";
                double kv = (double) (PROMPT + DECODE) * o.config().model().kvBytesPerToken() * 32
                        * o.config().model().batch() / 1e9;
                md.append("| ").append(o.config().group()).append(" | ").append(o.config().label()).append(" | ")
                        .append(cell(st)).append(" | ").append(cell(re)).append(" | ").append(cell(ar)).append(" | ")
                        .append(cell(ba)).append(" | ").append(cell(pg)).append(" | ")
                        .append(cell(or)).append(' ').append(or.detail()).append(" | ").append(f2(af.normalised()))
                        .append(" | ").append(f3(or.totalTime() / ba.totalTime())).append(" | ")
                        .append(f2(st.totalTime() / or.totalTime())).append(" | ")
                        .append(beats).append(" | ").append(String.format(Locale.ROOT, "%.1f", kv))
                        .append(" |\n");
            }
            md.append("\n");
            for (String group : List.of("sparsity", "variation", "batch")) {
                md.append("![").append(hw.name()).append(' ').append(group).append("](charts/").append(hw.name())
                        .append('-').append(group).append(".png)\n");
                md.append("![").append(hw.name()).append(' ').append(group).append(" hit rate](charts/")
                        .append(hw.name()).append('-').append(group).append("-hit.png)\n\n");
            }
        }
        md.append(ReportText.ONLINE.formatted(SWEEP_BUDGET, MAX_WINDOW));
        md.append("| sparsity / reuse | static | arc | balance | oracle (Wn, R) | balance / oracle | balance / bound "
                + "| balance / static | balance migrated GB | oracle migrated GB |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Outcome o : sweep) {
            SimulationResult st = o.get("static"), ar = o.get("arc"), ba = o.get("balance"), or = o.get("oracle");
            md.append("| ").append(o.config().label()).append(" | ").append(cell(st)).append(" | ").append(cell(ar))
                    .append(" | ").append(cell(ba)).append(" | ").append(cell(or)).append(' ').append(or.detail())
                    .append(" | ").append(f3(or.totalTime() / ba.totalTime())).append(" | ")
                    .append(f3(ba.balancedTime() / ba.totalTime())).append(" | ")
                    .append(f3(st.totalTime() / ba.totalTime())).append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f", ba.bytesMigrated() / 1e9)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f", or.bytesMigrated() / 1e9)).append(" |\n");
        }
        md.append("\n");
        for (double sp : SWEEP_SPARSITY) {
            md.append("![online against the oracle, ").append(Math.round(sp * 100)).append("% sparsity](charts/")
                    .append(profiles.get(0).name()).append("-online-").append(Math.round(sp * 100)).append(".png)\n");
        }
        md.append("\n");
        md.append(ReportText.SHAPE);
        shapeRow(md, "kvplace, gh200, MHA batch 1, 60%", all.get(0), "sparsity", "60%");
        shapeRow(md, "kvplace, gh200, MHA batch 1, 40%", all.get(0), "sparsity", "40%");
        shapeRow(md, "kvplace, gh200, GQA batch 8, 60%", all.get(0), "batch", "gqa x8");
        shapeRow(md, "kvplace, h100-pcie5, GQA batch 32, 60%", all.get(1), "batch", "gqa x32");
        md.append(ReportText.ANALYSIS);
        md.append(String.format(Locale.ROOT, "%n_Generated by `./scripts/reproduce.sh` in %.0f s of wall time on the "
                + "machine that ran it._%n", total));
        return md.toString();
    }

    private static void shapeRow(StringBuilder md, String label, List<Outcome> outs, String group, String config) {
        for (Outcome o : outs) {
            if (o.config().group().equals(group) && o.config().label().equals(config)) {
                md.append("| ").append(label).append(" | ").append(f2(o.get("static").normalised())).append(" | ")
                        .append(f2(o.get("reactive").normalised())).append(" | ")
                        .append(f2(o.get("page").normalised())).append(" | ")
                        .append(f2(o.get("oracle").normalised())).append(" | ")
                        .append(f2(o.get("static").totalTime() / o.get("oracle").totalTime())).append("x |\n");
            }
        }
    }

    private static String cell(SimulationResult r) {
        return f2(r.normalised()) + " (" + f2(r.fastHitRate()) + ")";
    }
}
