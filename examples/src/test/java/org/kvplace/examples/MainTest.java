package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Standard output with every run of white space as one space, as help text wraps anywhere. */
    private String words() {
        return out().replaceAll("\\s+", " ");
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintUsageWithoutArgumentsAndExitTwo() {
        assertEquals(2, run());
        assertTrue(err().contains("Usage: kvplace") && err().contains("Commands:"), err());
        for (String command : List.of("live", "demo", "simulate", "decode", "trace", "help")) {
            assertTrue(err().contains("\n  " + command + " "), command + " missing from the command list: " + err());
        }
        assertEquals("", out());
        assertEquals(0, run("--help"));
        assertTrue(out().contains("Usage: kvplace") && out().contains("Commands:"), out());
    }

    @Test
    void shouldPrintEachCommandsHelpWithItsOptionsAndExitZero() {
        Map<String, List<String>> options = Map.of(
                "live", List.of("--prompt N", "--fast-share X", "--no-all-fast", "--plot FILE", "--tiers MODE"),
                "demo", List.of("--tokens N", "--layers L", "--fast-share F", "--ratio R", "--seed S"),
                "simulate", List.of("--generate SPEC", "--scenario NAME", "--[no-]progress", "--plot DIR"),
                "decode", List.of("--budget TOKENS", "--oversample N", "--kv-type f32|f16", "--record-trace FILE"),
                "trace", List.of("FILE"));
        for (Map.Entry<String, List<String>> e : options.entrySet()) {
            out.reset();
            assertEquals(0, run(e.getKey(), "--help"), e.getKey());
            assertTrue(out().contains("Usage: kvplace " + e.getKey()), out());
            for (String option : e.getValue()) {
                assertTrue(out().contains(option), option + " missing from the help of " + e.getKey() + ":\n" + out());
            }
            out.reset();
            assertEquals(0, run("help", e.getKey()), e.getKey());
            assertTrue(out().contains("Usage: kvplace " + e.getKey()), out());
        }
        assertEquals("", err());
    }

    @Test
    void shouldShowDefaultsAndTheOnlinePoliciesInTheHelp() {
        assertEquals(0, run("decode", "--help"));
        assertTrue(words().contains("static, reactive, arc, balance"), out());
        assertTrue(words().contains("(default 256)"), out());
        out.reset();
        assertEquals(0, run("live", "--help"));
        assertTrue(words().contains("(default 32768)"), out());
    }

    @Test
    void shouldPrintTheVersionAndExitZero() {
        assertEquals(0, run("--version"));
        assertTrue(Pattern.compile("^kvplace \\d+\\.\\d+\\.\\d+").matcher(out()).find(), out());
        assertTrue(out().contains("Java " + Runtime.version().feature()), out());
    }

    @Test
    void shouldNameTheOptionOfAMissingOrBadValue() {
        assertEquals(2, run("live", "--decode"));
        assertTrue(err().contains("kvplace live: --decode needs a value"), err());
        assertTrue(err().contains("Run 'kvplace live --help' for the options."), err());
        err.reset();
        assertEquals(2, run("live", "--tiers", "fast"));
        assertTrue(err().contains("--tiers: expected exclusive, inclusive or both, got 'fast'"), err());
        err.reset();
        assertEquals(2, run("live", "--sparsity", "most"));
        assertTrue(err().contains("kvplace live: --sparsity expects a number, got 'most'"), err());
        err.reset();
        assertEquals(2, run("live", "--layers", "0"));
        assertTrue(err().contains("--layers must be in [1, 256], got 0"), err());
        err.reset();
        assertEquals(2, run("simulate", "--batch", "0"));
        assertTrue(err().contains("--batch must be in [1, 65536], got 0"), err());
        err.reset();
        assertEquals(2, run("trace"));
        assertTrue(err().contains("kvplace trace: missing FILE"), err());
        err.reset();
        assertEquals(2, run("trace", "a.kvpt", "b.kvpt"));
        assertTrue(err().contains("kvplace trace: unexpected argument 'b.kvpt'"), err());
        assertEquals("", out());
    }

    @Test
    void shouldLetTheLastOfARepeatedOptionWin() {
        assertEquals(2, run("demo", "--layers", "2", "--layers", "0"));
        assertTrue(err().contains("--layers must be in [1, 1024], got 0"), err());
    }

    @Test
    void shouldRejectUnknownCommandNamingIt() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err().contains("unknown command 'frobnicate'"), err());
    }

    @Test
    void shouldRejectBadDemoOptionsNamingTheValue() {
        assertEquals(2, run("demo", "--tokens", "many"));
        assertTrue(err().contains("--tokens expects an integer, got 'many'"), err());
        assertEquals(2, run("demo", "--fast-share", "1.5"));
        assertTrue(err().contains("--fast-share must be in [0.0, 1.0], got 1.5"), err());
        assertEquals(2, run("demo", "--bogus"));
        assertTrue(err().contains("unknown option '--bogus'"), err());
    }

    @Test
    void shouldRunTheDemoAndReadOnlyFastPagesAfterPromotion() {
        assertEquals(0, run("demo", "--tokens", "512", "--layers", "2"));
        String text = out();
        assertTrue(text.contains("512 tokens x 2 layers"), text);
        // 64 pages, a quarter in the fast tier: the dense step reads 25% of its bytes from it.
        assertTrue(text.contains("(25.0% fast)"), text);
        Matcher after = Pattern.compile("after migration: .*\\((\\d+\\.\\d)% fast\\)").matcher(text);
        assertTrue(after.find(), text);
        assertEquals("100.0", after.group(1), "the promoted pages should all be read from the fast tier: " + text);
    }

    @Test
    void shouldPrintInUtf8WhereTheJvmChoseUsAsciiAndElseKeepItsChoice() {
        assertEquals(StandardCharsets.UTF_8,
                Main.outputCharset(StandardCharsets.US_ASCII));
        assertEquals(StandardCharsets.ISO_8859_1,
                Main.outputCharset(StandardCharsets.ISO_8859_1));
        assertEquals(StandardCharsets.UTF_8,
                Main.outputCharset(StandardCharsets.UTF_8));
    }

    @Test
    void aRunBuildsOnlyTheCommandItNames() {
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(List.of("decode"), List.copyOf(Main.commandLine(o, e, "decode").getSubcommands().keySet()));
        List<String> all = List.of("live", "demo", "simulate", "decode", "make-model", "bench", "trace", "two-level",
                "help");
        assertEquals(all, List.copyOf(Main.commandLine(o, e, null).getSubcommands().keySet()));
        assertEquals(all, List.copyOf(Main.commandLine(o, e, "decod").getSubcommands().keySet()),
                "a mistyped name gets the whole list, for picocli's suggestions");
        assertEquals(all, List.copyOf(Main.commandLine(o, e, "help").getSubcommands().keySet()));
        assertEquals(2, run("decod"));
        assertTrue(err().contains("unknown command 'decod'"), err());
    }
}
