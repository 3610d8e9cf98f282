package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintUsageWithoutArgumentsAndExitTwo() {
        assertEquals(2, run());
        assertTrue(err().contains("Usage: kvplace COMMAND"), err());
        assertEquals("", out());
        assertEquals(0, run("--help"));
        assertTrue(out().contains("Usage: kvplace COMMAND"), out());
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
}
