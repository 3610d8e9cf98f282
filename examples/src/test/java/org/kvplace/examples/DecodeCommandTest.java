package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String model() {
        Path p = Path.of("..", "..", "shared", "models", "stories260K-f32.gguf");
        assumeTrue(Files.isRegularFile(p), "test model " + p + " absent; skipping");
        return p.toString();
    }

    @Test
    void shouldStreamTheGreedyStoryToStdoutAndStatisticsToStderr() {
        assertEquals(0, run("decode", "--model", model(), "--tokens", "40", "--fast-pages", "3"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("Once upon a time, there was a little girl named Lily."), text);
        String stats = err.toString(StandardCharsets.UTF_8);
        assertTrue(stats.contains("tokens/s"), stats);
        assertTrue(stats.contains("KV read    fast"), stats);
        assertTrue(stats.contains("fast 3 pages"), stats);
        assertTrue(stats.contains("migrations 0 pages"), stats);
    }

    @Test
    void shouldPrintTheTextAfterTheProgressBarWhenBothShareATerminal() {
        // One stream for both, as a terminal shows them: the bar's '\r' redraws must not cut the text.
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        PrintStream tty = new PrintStream(terminal, true, StandardCharsets.UTF_8);
        assertEquals(0, Main.run(new String[] {"decode", "--model", model(), "--tokens", "40", "--fast-pages", "3",
                "--progress"}, tty, tty));
        String shown = terminal.toString(StandardCharsets.UTF_8);
        int text = shown.indexOf("Once upon a time, there was a little girl named Lily.");
        assertTrue(text >= 0, shown);
        assertTrue(shown.lastIndexOf('\r') < text, "a bar redraw after the text began: " + shown);
        assertTrue(shown.contains("40/40 tokens"), shown);
    }

    @Test
    void shouldContinueAPromptAndMatchDenseWithAFullBudget() {
        assertEquals(0, run("decode", "--model", model(), "--prompt", "Lily and Tom", "--tokens", "30",
                "--budget", "64", "--compare-dense"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Lily and Tom"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("first 30 of 30 tokens identical"),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldSizeTiersInBytesAsWholePages() {
        // A page of stories260K: 16 tokens x (K and V) x 4 KV heads x 8 dims x 4 bytes = 4096 bytes.
        assertEquals(0, run("decode", "--model", model(), "--tokens", "20", "--fast-bytes", "12287",
                "--slow-bytes", "40960"));
        String stats = err.toString(StandardCharsets.UTF_8);
        assertTrue(stats.contains("fast 2 pages, slow 10 pages"), stats);
    }

    @Test
    void shouldReportUsageErrorsWithStatus2() {
        assertEquals(2, run("decode", "--tokens", "zero"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--tokens expects an integer, got 'zero'"));
        assertEquals(2, run("decode", "--fast-pages", "3", "--fast-bytes", "4096"));
        assertEquals(2, run("decode", "--kv-type", "f8"));
        assertEquals(2, run("decode", "--top-p", "0"));
        assertEquals(2, run("decode", "--bogus"));
        assertEquals(2, run("decode", "--model", model(), "--tokens", "20", "--fast-pages", "1", "--slow-pages", "1"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("this run needs 10"), err.toString());
        assertEquals(2, run("decode", "--model", model(), "--tokens", "600"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("context is 512"), err.toString());
    }

    @Test
    void shouldRejectABadOversampleNamingTheValue() {
        assertEquals(2, run("decode", "--budget", "64", "--oversample", "-1"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--oversample must be in [0, 65536], got -1"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, run("decode", "--budget", "64", "--oversample", "two"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--oversample expects an integer, got 'two'"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, run("decode", "--budget", "64", "--oversample"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--oversample needs a value"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        // Two-level selection chooses within a budget; without one attention is dense.
        assertEquals(2, run("decode", "--oversample", "2"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--oversample 2")
                && err.toString(StandardCharsets.UTF_8).contains("--budget"), err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing decoded");
    }

    @Test
    void shouldSelectInTwoLevelsWithOversample() {
        // 4-token pages: groups of 16 pages are 64 tokens, so 200 tokens make 4 groups, 50 pages per layer.
        assertEquals(0, run("decode", "--model", model(), "--tokens", "200", "--no-stop", "--page-tokens", "4",
                "--budget", "32", "--oversample", "1"));
        String twoLevel = err.toString(StandardCharsets.UTF_8);
        assertTrue(twoLevel.contains("two-level selection, groups of 16 pages oversampled x1"), twoLevel);
        err.reset();
        assertEquals(0, run("decode", "--model", model(), "--tokens", "200", "--no-stop", "--page-tokens", "4",
                "--budget", "32"));
        String flat = err.toString(StandardCharsets.UTF_8);
        assertTrue(flat.contains("flat selection"), flat);
        // Flat scores every page; two-level only the kept groups' pages (at most first, newest and one
        // more group of 16 once the sequence spans 4 groups), so it scores clearly fewer in all.
        double flatScored = scoredPerLayerAndToken(flat);
        double twoLevelScored = scoredPerLayerAndToken(twoLevel);
        assertTrue(twoLevelScored < 0.9 * flatScored, twoLevelScored + " vs flat " + flatScored);
        // Dense attention scores nothing; an oversample of 0 is the flat default and accepted.
        err.reset();
        assertEquals(0, run("decode", "--model", model(), "--tokens", "20", "--oversample", "0"));
        String dense = err.toString(StandardCharsets.UTF_8);
        assertTrue(dense.contains("attention  dense"), dense);
    }

    private static double scoredPerLayerAndToken(String stats) {
        var m = java.util.regex.Pattern.compile("scored +\\d+ page bounds \\(([0-9.,]+) per layer and token\\)")
                .matcher(stats);
        assertTrue(m.find(), stats);
        return Double.parseDouble(m.group(1).replace(',', '.'));
    }

    @Test
    void shouldFailWithStatus1OnAMissingOrCorruptModel(@TempDir Path dir) throws Exception {
        assertEquals(1, run("decode", "--model", dir.resolve("none.gguf").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("cannot read model file " + dir.resolve("none.gguf")
                + " (--model): no such file"), err.toString(StandardCharsets.UTF_8));
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'X', 3, 0, 0, 0});
        assertEquals(1, run("decode", "--model", bad.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("bad magic"), err.toString());
    }

    @Test
    void shouldRecordATraceThatSimulateReplaysAndTraceDescribes(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("stories.kvpt");
        assertEquals(0, run("decode", "--model", model(), "--tokens", "80", "--budget", "32", "--record-trace",
                trace.toString()));
        Path props = dir.resolve("stories.kvpt.model.properties");
        assertTrue(Files.isRegularFile(trace) && Files.isRegularFile(props));
        String properties = Files.readString(props);
        assertTrue(properties.contains("layers=5\n") && properties.contains("kv.bytes.per.token=256\n"), properties);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("395 steps (79 positions x 5 layers)"),
                err.toString(StandardCharsets.UTF_8));

        out.reset();
        assertEquals(0, run("simulate", "--trace", trace.toString(), "--model", props.toString(), "--policy",
                "static,page", "--no-progress"));
        String sim = out.toString(StandardCharsets.UTF_8);
        assertTrue(sim.contains("1 prompt + 79 decoded tokens, 5 layers, 16-token page"), sim);
        assertTrue(sim.contains("static") && sim.contains("page"), sim);

        out.reset();
        assertEquals(0, run("trace", trace.toString()));
        String described = out.toString(StandardCharsets.UTF_8);
        // Budget 32 = 2 pages: sink and newest. Units before position n: ceil(n/16), n = 1..79.
        long exist = 0;
        long read = 0;
        for (int n = 1; n < 80; n++) {
            int units = (n + 15) / 16;
            exist += units;
            int newest = n / 16; // the page the decoder also read; it is a unit only when it holds earlier tokens
            read += Math.min(units, newest == 0 || n % 16 != 0 ? Math.min(2, units) : 1);
        }
        assertTrue(described.contains(String.format(java.util.Locale.ROOT, "%,14d %,14d", 5 * read, 5 * exist)),
                "expected " + 5 * read + " of " + 5 * exist + " units in:\n" + described);
    }

    @Test
    void shouldRejectAnUnwritableTracePathBeforeDecoding(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        String target = file.resolve("run.kvpt").toString();
        assertEquals(2, run("decode", "--model", "does-not-matter.gguf", "--record-trace", target));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("--record-trace " + target + ": cannot create directory") && e.contains("a-file"), e);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing decoded");
    }

    @Test
    void shouldRejectBadTraceArguments(@TempDir Path dir) {
        assertEquals(2, run("trace"));
        assertEquals(2, run("trace", "a", "b"));
        assertEquals(1, run("trace", dir.resolve("none.kvpt").toString()));
    }

    @Test
    void shouldPrintHelp() {
        assertEquals(0, run("decode", "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--budget TOKENS"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--oversample N"));
    }
}
