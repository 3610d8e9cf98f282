package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.placement.PlacementState;
import org.kvplace.core.placement.ReactivePolicy;

/**
 * The trace half of the bad-input catalogue ({@code docs/bad-input.md}): binary headers that
 * announce more than the file holds or than the drivers support, and text traces with endless
 * lines, bad bytes and files that are not files. Each test fails without the check it covers.
 */
class BadInputTraceTest {

    @TempDir
    Path dir;

    private static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' lacks '" + p + "'");
        }
        assertPrintable(e.getMessage());
    }

    static void assertPrintable(String m) {
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            assertTrue(c >= 0x20 && c < 0x7F, "non-printable char " + (int) c + " at " + i + " in: " + m);
        }
    }

    /** A binary header: magic, version 1, then the five varints. */
    static byte[] header(int unit, int layers, int prompt, int decode, int flags) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {'K', 'V', 'P', 'T', 1});
        for (int v : new int[] {unit, layers, prompt, decode, flags}) {
            while ((v & ~0x7F) != 0) {
                b.write((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            b.write(v);
        }
        return b.toByteArray();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static <T extends Throwable> T quickly(Class<T> type, org.junit.jupiter.api.function.Executable run) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(type, run));
    }

    // ---- item 6: binary headers ---------------------------------------------------------------------

    @Test
    void shouldRejectAHeaderAnnouncingMoreStepsThanTheFileHoldsAtOnce() throws IOException {
        // 1 layer, prompt 2^27 - 2, 1 decode token: within the unit limit, but the step and the end
        // marker are missing. Before, the simulator placed 2^27 prompt units before finding that out.
        byte[] h = header(1, 1, (1 << 27) - 2, 1, 0);
        Path p = file("short.kvpt", h);
        var e = quickly(TraceFormatException.class, () -> TraceReader.open(p));
        assertMessage(e, p.toString(), "byte offset 5", "1 steps need at least 5 more bytes", "the input has 0");
    }

    @Test
    void shouldRejectALargeStepCountInATinyFile() throws IOException {
        // 64 layers x 2,000,000 decode tokens = 1.28e8 steps announced by a 17-byte file
        byte[] h = header(1024, 64, 1, 2_000_000, 0);
        Path p = file("tiny.kvpt", java.util.Arrays.copyOf(h, h.length + 4));
        var e = quickly(TraceFormatException.class, () -> TraceReader.open(p));
        assertMessage(e, "128000000 steps", "the input has 4");
    }

    @Test
    void shouldAcceptAHeaderWhoseStepsTheFileHolds() throws IOException {
        byte[] h = header(1, 2, 3, 1, 0);
        byte[] f = java.util.Arrays.copyOf(h, h.length + 6);
        f[h.length] = 0; // step (3, 0): no reads
        f[h.length + 1] = 0; // step (3, 1): no reads
        System.arraycopy(new byte[] {'K', 'V', 'P', 'E'}, 0, f, h.length + 2, 4);
        try (TraceReader r = TraceReader.open(file("ok.kvpt", f))) {
            TraceStep s = TraceStep.forHeader(r.header());
            assertTrue(r.next(s));
            assertTrue(r.next(s));
            assertFalse(r.next(s));
        }
    }

    @Test
    void shouldRejectHeadersBeyondTheUnitLayerLimitWhereverTheyComeFrom() {
        // exactly 2^31 unit-layers: the reader took it and the reactive policy failed later
        byte[] atOldLimit = header(1, 2, (1 << 30) - 1, 1, 0);
        var e = quickly(TraceFormatException.class,
                () -> new TraceReader(new ByteArrayInputStream(atOldLimit), "old-limit.kvpt"));
        assertMessage(e, "old-limit.kvpt", "bad header", "2147483648 unit-layers", "MAX_UNIT_LAYERS");
        byte[] justAbove = header(1, 1, (int) TraceHeader.MAX_UNIT_LAYERS, 1, 0);
        e = quickly(TraceFormatException.class, () -> new TraceReader(new ByteArrayInputStream(justAbove), "f"));
        assertMessage(e, (TraceHeader.MAX_UNIT_LAYERS + 1) + " unit-layers");
        var g = assertThrows(IllegalArgumentException.class,
                () -> new TraceHeader(16, 128, 1 << 24, 1 << 20, false));
        assertMessage(g, "128 layers x 1114112 units");
        new TraceHeader(1, 1, (int) TraceHeader.MAX_UNIT_LAYERS - 1, 1, false); // exactly at the limit: fine
    }

    @Test
    void shouldRejectPlacementsBeyondTheLimitInTheReactivePolicyBeforeAllocating() {
        PlacementState big = new PlacementState(1, (int) TraceHeader.MAX_UNIT_LAYERS + 1, 1, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> new ReactivePolicy().start(big));
        assertMessage(e, "reactive", (TraceHeader.MAX_UNIT_LAYERS + 1) + " unit-layers", "MAX_UNIT_LAYERS");
    }

    // ---- items 7 and 14: text traces -----------------------------------------------------------------

    private Path text(String name, String s) throws IOException {
        return file(name, s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static int drain(AccessTrace t) throws IOException {
        TraceStep s = TraceStep.forHeader(t.header());
        int n = 0;
        while (t.next(s)) {
            n++;
        }
        return n;
    }

    @Test
    void shouldBoundTheLineLength() throws IOException {
        Path p = text("long.txt", "5,0,0,[" + "1 ".repeat(600) + "],0\n");
        var e = quickly(TraceFormatException.class, () -> new TextTraceImporter(p, 1024));
        assertMessage(e, p.toString(), "line 1", "longer than 1024 bytes");
        try (TextTraceImporter t = new TextTraceImporter(p, 2048)) {
            assertEquals(1, drain(t));
        }
        var bad = assertThrows(IllegalArgumentException.class, () -> new TextTraceImporter(p, 0));
        assertMessage(bad, "maxLineBytes", "0");
    }

    @Test
    void shouldRejectAFileOfZeroBytesAtTheFirstByte() throws IOException {
        Path p = file("zeros.txt", new byte[1 << 20]);
        var e = quickly(TraceFormatException.class, () -> new TextTraceImporter(p));
        assertMessage(e, p.toString(), "line 1", "byte 0x00 at column 1");
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void shouldRejectDevZeroAndDirectoriesAsNotRegularFiles() throws IOException {
        var e = quickly(IOException.class, () -> new TextTraceImporter(Path.of("/dev/zero")));
        assertMessage(e, "/dev/zero", "not a regular file");
        e = quickly(IOException.class, () -> new TextTraceImporter(dir));
        assertMessage(e, dir.toString(), "not a regular file");
    }

    @Test
    void shouldSayWhatWasNotFound() {
        Path p = dir.resolve("missing.txt");
        var e = assertThrows(NoSuchFileException.class, () -> new TextTraceImporter(p));
        assertMessage(e, p.toString(), "text trace not found");
    }

    @Test
    void shouldNameLineColumnAndByteOfANonAsciiByteInAStepLine() throws IOException {
        Path p = file("utf8.txt", "5,0,0,[],0\n5,1,0,[1\u00e9],0\n".getBytes(StandardCharsets.UTF_8));
        var e = quickly(TraceFormatException.class, () -> new TextTraceImporter(p));
        assertMessage(e, p.toString(), "line 2", "byte 0xC3 at column 9", "only in # comments");
        Path esc = text("esc.txt", "5,0,0,[],0\n\u001b[31m5,1,0,[],0\n");
        e = quickly(TraceFormatException.class, () -> new TextTraceImporter(esc));
        assertMessage(e, "line 2", "byte 0x1B at column 1");
    }

    @Test
    void shouldAcceptAnyBytesInCommentsAndCrLfLineEnds() throws IOException {
        byte[] comment = "# mesur\u00e9 sur 8\u00d7H100 \u2014 \u00b5s\r\n".getBytes(StandardCharsets.UTF_8);
        byte[] steps = "5,0,0,[1],0\r\n  # indented comment \u00ff\u0000\n5,1,0,[],0\r\n5,1,1,[],0\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[comment.length + steps.length];
        System.arraycopy(comment, 0, all, 0, comment.length);
        System.arraycopy(steps, 0, all, comment.length, steps.length);
        try (TextTraceImporter t = new TextTraceImporter(file("comments.txt", all))) {
            assertEquals(new TraceHeader(1, 2, 5, 1, false), t.header());
            assertEquals(2, drain(t), "a trailing MLP line ends the trace cleanly");
        }
    }

    @Test
    void shouldRejectACarriageReturnInsideALine() throws IOException {
        Path p = text("cr.txt", "5,0,0,[1]\r,0\n");
        var e = quickly(TraceFormatException.class, () -> new TextTraceImporter(p));
        assertMessage(e, "line 1", "carriage return", "column 10");
    }

    @Test
    void shouldEscapeAndCutTheTextItQuotes() throws IOException {
        Path p = text("field.txt", "5,0,\t" + "x".repeat(500) + ",[],0\n");
        var e = quickly(TraceFormatException.class, () -> new TextTraceImporter(p));
        assertMessage(e, "line 1", "s is not an integer: 'x", "(500 characters)");
        assertTrue(e.getMessage().length() < 300, e.getMessage());
        Path tab = text("tab.txt", "5,0,0,[1\t;],0\n");
        e = quickly(TraceFormatException.class, () -> {
            try (TextTraceImporter t = new TextTraceImporter(tab)) {
                drain(t);
            }
        });
        assertMessage(e, "line 1", "bad character ';' at column 10");
    }

    @Test
    void shouldNameTheLinesOfAHeaderTheLinesCannotMake() throws IOException {
        Path p = text("layers.txt", "5,0,0,[],0\n5,70000,0,[],0\n");
        var e = quickly(TraceFormatException.class, () -> new TextTraceImporter(p));
        assertMessage(e, p.toString(), "l=70000 (line 2)", "layers must be in [1, 65536]");
        Path wide = text("wide.txt", "134217000,0,0,[],0\n134217000,1,0,[],0\n");
        e = quickly(TraceFormatException.class, () -> new TextTraceImporter(wide));
        assertMessage(e, "n=134217000 (line 1)", "unit-layers exceeds");
    }

    @Test
    void shouldBoundTheLinesOfACsvTrace() throws IOException {
        // A file without a newline: rejected at the limit, not read into memory whole.
        byte[] noNewline = new byte[TextTraceImporter.DEFAULT_MAX_LINE_BYTES + 10];
        java.util.Arrays.fill(noNewline, (byte) '7');
        byte[] head = (CsvTraceImporter.HEADER + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + noNewline.length);
        System.arraycopy(noNewline, 0, all, head.length, noNewline.length);
        Path p = file("long.csv", all);
        var e = quickly(TraceFormatException.class, () -> new CsvTraceImporter(p));
        assertMessage(e, p.toString(), "line 2", "line longer than " + TextTraceImporter.DEFAULT_MAX_LINE_BYTES + " bytes",
                "CSV trace");
    }

    @Test
    void shouldNameANonAsciiByteOfACsvTrace() throws IOException {
        Path p = file("latin1.csv", (CsvTraceImporter.HEADER + "\n2,0,\"[0, 1]\"\n3,0,\"[0,\u00e9 2]\"\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        var e = quickly(TraceFormatException.class, () -> new CsvTraceImporter(p));
        assertMessage(e, p.toString(), "line 3", "byte 0xE9 at column 9");
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void shouldRejectDevZeroAsACsvTrace() {
        var e = quickly(IOException.class, () -> new CsvTraceImporter(Path.of("/dev/zero")));
        assertMessage(e, "/dev/zero", "not a regular file", "CSV trace");
    }
}
