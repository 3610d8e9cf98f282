package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {

    @TempDir
    Path dir;

    private int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "simulate";
        System.arraycopy(args, 0, command, 1, args.length);
        return Main.run(command, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private Path model() throws IOException {
        Path m = dir.resolve("tiny.properties");
        Files.writeString(m, "name=tiny\nlayers=2\nkv.bytes.per.token=16384\nweight.bytes.per.layer=1000000\n");
        return m;
    }

    private Path profile() throws IOException {
        Path p = dir.resolve("hw.properties");
        // 10 MB of fast room for KV: a third of the 2 x 1000 x 16 KiB context
        Files.writeString(p, "name=toy\nfast.bandwidth=4.9e12\nfast.capacity=12000000\nslow.read=450e9\n"
                + "slow.write=450e9\nslow.dram=500e9\nslow.capacity=1000000000\n");
        return p;
    }

    @Test
    void shouldWriteOneCsvRowPerPolicyAndTheCharts() throws IOException {
        Path csv = dir.resolve("out/r.csv");
        Path plots = dir.resolve("plots");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = run(out, err, "--generate", "prompt=1000,decode=16,layers=2", "--model", model().toString(),
                "--profile", profile().toString(), "--policy", "all", "--anneal-budget", "3", "--max-window", "4",
                "--csv", csv.toString(), "--plot", plots.toString(), "--no-progress", "--per-layer");
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        List<String> lines = Files.readAllLines(csv);
        assertEquals("policy,total_time_s,tokens_per_s,fast_hit_rate,bytes_fast,bytes_slow,bytes_migrated",
                lines.get(0));
        assertEquals(9, lines.size());
        assertTrue(lines.get(1).startsWith("static,"));
        assertTrue(lines.get(3).startsWith("arc,"));
        assertTrue(lines.get(4).startsWith("balance,"));
        assertTrue(lines.get(7).startsWith("all-fast,"));
        assertTrue(lines.get(8).startsWith("balanced-bound,"));
        assertTrue(Files.size(plots.resolve("throughput.png")) > 1000);
        assertTrue(Files.size(plots.resolve("hit-rate.png")) > 1000);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("oracle(Wn="));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("per layer, static: layer time_s hit_kv"));
    }

    @Test
    void shouldDrawTheProgressBarOnlyInATerminalUnlessAskedTo() throws IOException {
        assumeTrue(!ProgressBar.terminal(), "this JVM runs in a terminal; the default would draw the bar");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        String[] args = {"--generate", "prompt=1000,decode=8,layers=2", "--model", model().toString(), "--profile",
            profile().toString(), "--policy", "static,oracle:2:0.5"};
        assertEquals(0, run(out, err, args), err.toString(StandardCharsets.UTF_8));
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("\r"), "a bar was drawn into a non-terminal");
        String[] forced = java.util.Arrays.copyOf(args, args.length + 1);
        forced[args.length] = "--progress";
        assertEquals(0, run(out, err, forced), err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("\rstatic ["), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRoundTripATraceFileAndReplayIt() throws IOException {
        Path trace = dir.resolve("t.kvpt");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = run(out, err, "--generate", "prompt=1000,decode=8,layers=2", "--write-trace", trace.toString(),
                "--model", model().toString(), "--profile", profile().toString(), "--policy", "static",
                "--no-progress");
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream out2 = new ByteArrayOutputStream();
        rc = run(out2, err, "--trace", trace.toString(), "--model", model().toString(), "--profile",
                profile().toString(), "--policy", "static", "--no-progress");
        assertEquals(0, rc);
        String a = out.toString(StandardCharsets.UTF_8);
        String b = out2.toString(StandardCharsets.UTF_8);
        String rowA = a.lines().filter(l -> l.startsWith("static ")).findFirst().orElseThrow();
        String rowB = b.lines().filter(l -> l.startsWith("static ")).findFirst().orElseThrow();
        assertEquals(rowA, rowB);
    }

    @Test
    void shouldRejectUnknownPoliciesAndOptionsAsUsageErrors() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        assertEquals(2, run(out, err, "--policy", "lfu"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("kvplace simulate: unknown policy 'lfu'"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, run(out, err, "--frobnicate"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option '--frobnicate'"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, run(out, err, "--generate", "promt=5"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("promt"), err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing ran");
    }

    @Test
    void shouldFailWithTheByteOffsetOnATruncatedTraceFile() throws IOException {
        Path trace = dir.resolve("t.kvpt");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        run(out, err, "--generate", "prompt=1000,decode=8,layers=2", "--write-trace", trace.toString(), "--model",
                model().toString(), "--profile", profile().toString(), "--policy", "static", "--no-progress");
        byte[] bytes = Files.readAllBytes(trace);
        Files.write(trace, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        ByteArrayOutputStream err2 = new ByteArrayOutputStream();
        int rc = run(out, err2, "--trace", trace.toString(), "--model", model().toString(), "--profile",
                profile().toString(), "--policy", "static", "--no-progress");
        assertEquals(1, rc);
        assertTrue(err2.toString(StandardCharsets.UTF_8).contains("byte offset"), err2.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldReplayAnImportedTextTrace() throws IOException {
        Path txt = dir.resolve("t.txt");
        Files.writeString(txt, "4,0,0,[1],0\n4,0,1,[],0\n5,0,0,[0 2],0\n");
        Path m = dir.resolve("one.properties");
        Files.writeString(m, "layers=1\nkv.bytes.per.token=16384\nweight.bytes.per.layer=1000000\n");
        Path csv = dir.resolve("i.csv");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = run(out, err, "--import-text", txt.toString(), "--model", m.toString(), "--policy",
                "static,all-fast", "--csv", csv.toString(), "--no-progress");
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("4 prompt + 2 decoded tokens, 1 layers"));
        // everything fits in the gh200 fast tier: 3 + 3 tokens read, all from the fast tier
        List<String> lines = Files.readAllLines(csv);
        assertTrue(lines.get(1).startsWith("static,"));
        assertTrue(lines.get(1).endsWith(",1.000000," + (2_000_000L + 6 * 16384L) + ",0,0"), lines.get(1));
    }
}
