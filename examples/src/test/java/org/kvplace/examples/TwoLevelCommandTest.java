package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TwoLevelCommandTest {

    private static final String NUMBER = "(\\d\\.\\d{3})";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static String model() {
        Path p = Path.of("..", "..", "shared", "models", "stories260K-f32.gguf");
        assumeTrue(Files.isRegularFile(p), "test model " + p + " absent; skipping");
        return p.toString();
    }

    /** The lines of {@code text} that match {@code row}, each a table row. */
    private static List<Matcher> rows(String text, String row) {
        Pattern p = Pattern.compile(row);
        return text.lines().map(p::matcher).filter(Matcher::matches).toList();
    }

    @Test
    void shouldPrintItsHelpWithItsOptionsAndExitZero() {
        assertEquals(0, run("two-level", "--help"));
        for (String option : List.of("Usage: kvplace two-level", "--model FILE", "--output FILE", "--no-synthetic")) {
            assertTrue(out().contains(option), option + " missing from the help:\n" + out());
        }
        assertEquals("", err());
    }

    @Test
    void shouldRejectABadOptionNamingItWithStatus2() {
        assertEquals(2, run("two-level", "--budget", "64"));
        assertTrue(err().contains("kvplace two-level: unknown option '--budget'"), err());
        assertTrue(err().contains("Run 'kvplace two-level --help' for the options."), err());
        err.reset();
        assertEquals(2, run("two-level", "--output"));
        assertTrue(err().contains("kvplace two-level: --output needs a value"), err());
        err.reset();
        assertEquals(2, run("two-level", "--no-synthetic"));
        assertTrue(err().contains("kvplace two-level: --no-synthetic leaves nothing to measure without --model"), err());
        assertEquals("", out());
    }

    @Test
    void shouldFailWithStatus1NamingAMissingModel() {
        Path missing = dir.resolve("absent.gguf");
        assertEquals(1, run("two-level", "--no-synthetic", "--model", missing.toString()));
        assertTrue(err().contains("cannot read model file " + missing + " (--model): no such file"), err());
        assertEquals("", out());
    }

    @Test
    void shouldRefuseToWriteOverTheModelFile() throws IOException {
        // Checked before the model is read, so any bytes serve as the model here.
        Path model = Files.write(dir.resolve("model.gguf"), new byte[] {1, 2, 3});
        Path link = Files.createSymbolicLink(dir.resolve("link.md"), model);
        for (Path output : List.of(model, link)) {
            err.reset();
            assertEquals(2, run("two-level", "--model", model.toString(), "--output", output.toString()));
            assertTrue(err().contains("--output " + output + " is the same file as --model " + model), err());
            assertTrue(err().contains("never writes over its own inputs"), err());
        }
        assertEquals("", out());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(model));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void shouldWriteTheSyntheticTableToTheOutputFileAsPrinted() throws IOException {
        Path file = dir.resolve("new").resolve("tables.md");
        assertEquals(0, run("two-level", "--output", file.toString()));
        assertTrue(Files.isRegularFile(file), err());
        String written = Files.readString(file);
        assertEquals(out(), written);
        assertTrue(written.contains("| keys | alignment | budget | N | flat | two-level | random |"
                + " pages scored by two-level |\n|---|"), written);
        List<Matcher> rows = rows(written, "\\| (correlated|scattered) \\| (\\d\\.\\d) \\| (\\d+) \\| (\\d) \\| "
                + NUMBER + " \\| " + NUMBER + " \\| " + NUMBER + " \\| (\\d+) of 512 \\|");
        // 3 settings x 2 budgets x 3 oversamples
        assertEquals(18, rows.size(), written);
        for (Matcher r : rows) {
            int budget = Integer.parseInt(r.group(3));
            int oversample = Integer.parseInt(r.group(4));
            // The first level keeps groups of 16 pages of 16 tokens covering oversample x budget
            // tokens, plus the first and the newest group; two-level scores their pages.
            int groups = Math.min(32, oversample * budget / 256 + 2);
            assertEquals(groups * 16, Integer.parseInt(r.group(8)), r.group());
            double flat = Double.parseDouble(r.group(5));
            double twoLevel = Double.parseDouble(r.group(6));
            double random = Double.parseDouble(r.group(7));
            assertTrue(random < twoLevel && twoLevel <= flat && flat < 1, r.group());
        }
        try (var siblings = Files.list(file.getParent())) {
            assertEquals(List.of(file.getFileName().toString()),
                    siblings.map(p -> p.getFileName().toString()).toList(), "only the output beside the output");
        }
        assertTrue(err().contains("two-level: tables written to "), err());
    }

    @Test
    void shouldMeasureTheModelsKeysWithModel() throws IOException {
        String model = model();
        Path file = dir.resolve("real.md");
        assertEquals(0, run("two-level", "--no-synthetic", "--model", model, "--output", file.toString()));
        String written = Files.readString(file);
        assertEquals(out(), written);
        assertFalse(written.contains("| keys |"), "--no-synthetic printed the synthetic table:\n" + written);
        assertTrue(written.contains("| P | B | random | flat (N=0) | two-level N=1 | N=2 | N=4 |\n|---:|"), written);
        String cell = " " + NUMBER + " \\((\\d+\\.\\d)\\) \\|";
        List<Matcher> rows = rows(written, "\\| ([24]) \\| (\\d+) \\| " + NUMBER + " \\|" + cell.repeat(4));
        // 2 page sizes x 4 budgets
        assertEquals(8, rows.size(), written);
        for (Matcher r : rows) {
            double random = Double.parseDouble(r.group(3));
            double flat = Double.parseDouble(r.group(4));
            assertTrue(random < flat && flat < 1, r.group());
            // Flat selection scores every page the layer holds: ceil((position + 1) / P) at positions 256 to 511.
            int pageTokens = Integer.parseInt(r.group(1));
            double pages = 0;
            for (int position = 256; position < 512; position++) {
                pages += Math.ceilDiv(position + 1, pageTokens);
            }
            assertEquals(String.format(Locale.ROOT, "%.1f", pages / 256), r.group(5), r.group());
        }
    }
}
