package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
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
    void shouldFailWithStatus1OnAMissingOrCorruptModel(@TempDir Path dir) throws Exception {
        assertEquals(1, run("decode", "--model", dir.resolve("none.gguf").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not found"));
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'X', 3, 0, 0, 0});
        assertEquals(1, run("decode", "--model", bad.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("bad magic"), err.toString());
    }

    @Test
    void shouldPrintHelp() {
        assertEquals(0, run("decode", "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--budget TOKENS"));
    }
}
