package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.sim.SimulationResult;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;

class ReproductionReportTest {

    @TempDir
    Path dir;

    /** A scale small enough for a unit test: a short context, 2 decoded tokens, tiny searches. */
    private static ReproductionReport.Scale tiny() {
        return new ReproductionReport.Scale(600, 2, 2, 4, List.of(HardwareProfile.gh200(), HardwareProfile.h100Pcie5()),
                ReproductionReport.configs(), new double[] {0.3, 0.9}, new double[] {0.4}, 2, 2);
    }

    /** The cells of the markdown table whose header row starts with {@code head}, by column name. */
    private static List<Map<String, String>> table(String md, String head) {
        String[] lines = md.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(head)) {
                String[] names = cells(lines[i]);
                List<Map<String, String>> rows = new ArrayList<>();
                for (int j = i + 2; j < lines.length && lines[j].startsWith("|"); j++) {
                    String[] c = cells(lines[j]);
                    assertEquals(names.length, c.length, "cells of row: " + lines[j]);
                    Map<String, String> row = new HashMap<>();
                    for (int k = 0; k < names.length; k++) {
                        row.put(names[k], c[k]);
                    }
                    rows.add(row);
                }
                return rows;
            }
        }
        throw new AssertionError("no table starting with " + head + " in:\n" + md);
    }

    private static String[] cells(String line) {
        String[] parts = line.substring(1, line.length() - 1).split("\\|");
        for (int i = 0; i < parts.length; i++) {
            parts[i] = parts[i].strip();
        }
        return parts;
    }

    @Test
    void shouldWriteTheReportWithTheOnlinePoliciesInEveryTableAndChart() throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ReproductionReport.Scale sc = tiny();
        assertEquals(0, ReproductionReport.run(sc, dir, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false));
        String md = Files.readString(dir.resolve("reproduction.md"));
        for (String profile : List.of("gh200", "h100-pcie5")) {
            assertTrue(md.contains("\n## " + profile + "\n"), profile);
            for (String group : List.of("sparsity", "variation", "batch")) {
                assertTrue(Files.size(dir.resolve("charts/" + profile + "-" + group + ".png")) > 0);
                assertTrue(Files.size(dir.resolve("charts/" + profile + "-" + group + "-hit.png")) > 0);
            }
        }
        assertTrue(Files.size(dir.resolve("charts/gh200-online.png")) > 0);
        List<Map<String, String>> rows = table(md, "| group | config |");
        assertEquals(ReproductionReport.configs().size(), rows.size(), "rows of the first profile's table");
        for (String column : List.of("arc", "balance", "balance / oracle", "balance / static", "balance / bound")) {
            assertTrue(rows.get(0).containsKey(column), "column " + column);
        }
        List<Map<String, String>> sweep = table(md, "| sparsity, reuse |");
        assertEquals(List.of("40%, reuse 0.3", "40%, reuse 0.9"), sweep.stream().map(r -> r.get("sparsity, reuse"))
                .toList());
        assertEquals(List.of("0.7", "0.1"), sweep.stream().map(r -> r.get("variation")).toList());
        assertTrue(md.contains("| paper (60% sparsity"), "the paper's row");
        assertTrue(md.contains("## The paper's own model: kvplace against the author's simulator"),
                "the paper-model record is kept");
        assertTrue(md.contains("| arc | balance | page | oracle | oracle / static |"), "shape table has arc, balance");
        assertFalse(md.contains("full scale** (10,240 decoded)"), "the hand-measured row left the generated report");
        assertFalse(md.contains("%n") || md.contains("%s") || md.contains("%d"), "an unformatted template");
        Matcher took = Pattern.compile("This run\\s+took \\*\\*(\\d+) s\\*\\*").matcher(md);
        assertTrue(took.find(), "runtime at the top");
    }

    private static SimulationResult result(String policy, double time) {
        return new SimulationResult(policy, "", 10, time, 0, 1, 0, 0, 0, 0, new double[0], new double[0], 1.0, 1.0);
    }

    /** A sweep cell with the given times (the bound and all-fast at 1.0). */
    private static ReproductionReport.Outcome cell(double sparsity, double reuse, double balance, double oracle,
            double st) {
        ReproductionReport.Config c = new ReproductionReport.Config("reuse", "x", ModelProfile.llama31_8bMha(),
                sparsity, Math.round((1 - reuse) * 100) / 100.0);
        List<Evaluation.Row> rows = new ArrayList<>();
        for (String p : List.of("static", "reactive", "arc", "balance", "oracle")) {
            double t = switch (p) {
                case "balance" -> balance;
                case "oracle" -> oracle;
                default -> st;
            };
            rows.add(new Evaluation.Row(result(p, t), 0, 0));
        }
        return new ReproductionReport.Outcome(c, HardwareProfile.gh200(),
                new ReproductionReport.Evaluated(rows, 0, 0.5));
    }

    @Test
    void shouldStateFromTheCellsWhereBalanceReachesTheOracle() {
        List<ReproductionReport.Outcome> sw = List.of(
                cell(0.4, 0.3, 1.25, 1.0, 2.0),    // balance / oracle 0.800: short
                cell(0.4, 0.9, 1.0, 1.0004, 2.0),  // 1.0004: reaches
                cell(0.6, 0.5, 1.0, 1.1, 0.99));   // 1.100: reaches; balance / static 0.990
        String s = ReproductionReport.onlineFindings(sw);
        assertTrue(s.contains("in 2 of 3 cells: 40% sparsity, reuse 0.9 (1.000) and 60% sparsity, reuse 0.5 (1.100)"),
                s);
        assertTrue(s.contains("It falls short in 40% sparsity, reuse 0.3 (0.800)."), s);
        // the oracle reaches 0.9 of the bound in all three cells; balance does not reach 0.95 in the first
        assertTrue(s.contains("in 3 cells"), s);
        assertTrue(s.contains("balance stays below 0.95 of the bound in 40% sparsity, reuse 0.3 (0.800)"), s);
        assertTrue(s.contains("balance / static ranges over 0.990 to 2.000"), s);
        assertTrue(s.contains("below static by more than 1% in no cell"), s);
    }

    @Test
    void shouldQuoteInTheProseOnlyNumbersOfTheTable() throws IOException {
        ReproductionReport.Scale sc = tiny();
        ReproductionReport.Results r = ReproductionReport.compute(sc, new PrintStream(new ByteArrayOutputStream(),
                true, StandardCharsets.UTF_8), false);
        String md = ReproductionReport.markdown(r);
        Map<String, String> ratio = new HashMap<>();
        for (Map<String, String> row : table(md, "| sparsity, reuse |")) {
            String[] k = row.get("sparsity, reuse").split(", reuse ");
            ratio.put(k[0] + " sparsity, reuse " + k[1], row.get("balance / oracle"));
        }
        String findings = md.substring(md.indexOf("**Where balance reaches the oracle**"),
                md.indexOf("**Against the bound.**"));
        Matcher m = Pattern.compile("(\\d+% sparsity, reuse [0-9.]+) \\(([0-9.]+)\\)").matcher(findings);
        int n = 0;
        while (m.find()) {
            assertEquals(ratio.get(m.group(1)), m.group(2), "prose against table for " + m.group(1));
            n++;
        }
        assertEquals(ratio.size(), n, "every cell named once in:\n" + findings);
    }

    @Test
    void shouldMeasureTheReuseOfAGeneratedTrace() throws IOException {
        // no variation: the persistent set stays; only the newest tokens' window moves by one per token
        GeneratorConfig still = new GeneratorConfig(2000, 20, 2, 1, 0.5, 4, 64, 0.5, 0.0, 1);
        GeneratorConfig moving = new GeneratorConfig(2000, 20, 2, 1, 0.5, 4, 64, 0.5, 0.5, 1);
        double a = ReproductionReport.measuredReuse(TraceGenerator.source(still));
        double b = ReproductionReport.measuredReuse(TraceGenerator.source(moving));
        assertTrue(a > 0.99 && a <= 1, "reuse without variation: " + a);
        assertTrue(b < 0.8 && b > 0.3, "reuse with half the persistent set replaced per token: " + b);
    }

    /** A table row whose policies all take {@code 2.0} s except those given; bound 1.0, all-fast 1.1. */
    private static ReproductionReport.Outcome row(ReproductionReport.Config c, HardwareProfile hw,
            Map<String, Double> times) {
        List<Evaluation.Row> rows = new ArrayList<>();
        for (String p : ReproductionReport.POLICIES) {
            double t = p.equals("balanced-bound") ? 1.0 : p.equals("all-fast") ? 1.1 : times.getOrDefault(p, 2.0);
            rows.add(new Evaluation.Row(new SimulationResult(p, "", 10, t, 0, 1, 0, 0, 0, 0, new double[0],
                    new double[0], 1.1, 1.0), 0, 0));
        }
        return new ReproductionReport.Outcome(c, hw, new ReproductionReport.Evaluated(rows, 0, 0.5));
    }

    @Test
    void shouldCheckTheTargetsRowByRow() {
        ReproductionReport.Scale sc = tiny();
        List<List<ReproductionReport.Outcome>> tables = new ArrayList<>();
        for (HardwareProfile hw : sc.profiles()) {
            List<ReproductionReport.Outcome> t = new ArrayList<>();
            for (ReproductionReport.Config c : sc.configs()) {
                Map<String, Double> times = new HashMap<>();
                if (hw.name().equals("gh200") && c.label().equals("40%")) {
                    times.put("balance", 1.6); // balance / oracle 1.250, balance / static 1.250
                }
                if (hw.name().equals("gh200") && c.label().equals("60%")) {
                    times.put("oracle", 1.0);  // oracle at the bound: balance must reach 0.95 of it
                }
                if (hw.name().equals("h100-pcie5") && c.label().equals("low")) {
                    times.put("balance", 2.1); // balance / static 0.952
                }
                t.add(row(c, hw, times));
            }
            tables.add(t);
        }
        List<ReproductionReport.Outcome> sweep = new ArrayList<>();
        for (ReproductionReport.Config c : ReproductionReport.sweepConfigs(sc)) {
            sweep.add(row(c, sc.profiles().get(0), Map.of()));
        }
        String md = ReproductionReport.markdown(new ReproductionReport.Results(sc, tables, sweep, 1, 1.0));
        Map<String, Map<String, String>> targets = new HashMap<>();
        for (Map<String, String> r : table(md, "| target |")) {
            targets.put(r.get("target").substring(0, 20), r);
        }
        Map<String, String> t1 = targets.get("balance / oracle >= ");
        assertEquals("2", t1.get("rows checked"));
        assertEquals("gh200 sparsity 40% (1.250)", t1.get("holds in"));
        assertEquals("**gh200 sparsity 60% (0.500)**", t1.get("fails in"));
        Map<String, String> t3 = targets.get("balance / bound >= 0");
        assertEquals("1", t3.get("rows checked"), "only the row where the oracle reaches 0.9 of the bound");
        assertEquals("**gh200 sparsity 60% (0.500)**", t3.get("fails in"));
        Map<String, String> d1 = targets.get("the same two on trac");
        assertEquals("2", d1.get("rows checked"), "the dynamics rows at 40% and 60%, real variation, first profile");
        Map<String, String> d2 = targets.get("... and balance / or");
        assertEquals("1", d2.get("rows checked"), "the dynamics row on high variation, first profile");
        Map<String, String> t4 = targets.get("balance / static >= ");
        assertEquals("26", t4.get("rows checked"));
        assertEquals("**h100-pcie5 variation low (0.952)**", t4.get("fails in"));
    }
}
