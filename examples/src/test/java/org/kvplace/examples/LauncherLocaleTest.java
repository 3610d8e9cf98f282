package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Item 18 of the bad-input catalogue: under {@code LC_ALL=C} the JVM decodes arguments as US-ASCII,
 * so a non-ASCII {@code --prompt} reached Java as U+FFFD. The launcher's locale step
 * (scripts/utf8-locale.sh) must make it arrive intact.
 */
class LauncherLocaleTest {

    /** Prints the code points of its first argument, for the child JVM. */
    public static void main(String[] args) {
        System.out.println(args[0].codePoints().mapToObj(c -> String.format("U+%04X", c))
                .collect(Collectors.joining(" ")));
    }

    private static String run(boolean withLocaleStep, String arg) throws IOException, InterruptedException {
        Path script = Path.of("..", "scripts", "utf8-locale.sh").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(script), "scripts/utf8-locale.sh not found from " + Path.of("").toAbsolutePath());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of(LauncherLocaleTest.class.getProtectionDomain().getCodeSource().getLocation().getPath())
                .toString();
        String step = withLocaleStep ? ". \"$3\"; kvplace_utf8_locale; " : "";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c",
                step + "exec \"$0\" -cp \"$1\" org.kvplace.examples.LauncherLocaleTest \"$2\"", java, classes, arg,
                script.toString());
        pb.environment().remove("LANG");
        pb.environment().remove("LC_CTYPE");
        pb.environment().remove("LANGUAGE");
        pb.environment().put("LC_ALL", "C");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void shouldPassANonAsciiPromptIntactUnderTheCLocale() throws Exception {
        String bare = run(false, "caf\u00e9 \u4e16");
        assumeTrue(bare.contains("U+FFFD"), "this JVM and system decode arguments without the locale: " + bare);
        String launched = run(true, "caf\u00e9 \u4e16");
        assumeTrue(!launched.contains("U+FFFD") || !hasUtf8Locale(), "no UTF-8 locale on this system");
        assertEquals("U+0063 U+0061 U+0066 U+00E9 U+0020 U+4E16", launched);
    }

    private static boolean hasUtf8Locale() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("locale", "-a").redirectErrorStream(true).start();
        String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return all.lines().anyMatch(l -> l.equalsIgnoreCase("C.UTF-8") || l.equalsIgnoreCase("C.utf8")
                || l.equalsIgnoreCase("en_US.UTF-8") || l.equalsIgnoreCase("en_US.utf8"));
    }
}
