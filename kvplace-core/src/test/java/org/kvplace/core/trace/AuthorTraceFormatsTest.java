package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paper author's two trace formats: its generator's CSV and its tooling's text lines. */
class AuthorTraceFormatsTest {

    // Tests run in kvplace-core/; the samples live in ../shared/traces beside the repository root.
    private static final Path SAMPLES = Path.of("..", "..", "shared", "traces");

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static List<String> steps(AccessTrace t) throws IOException {
        List<String> out = new ArrayList<>();
        TraceStep s = TraceStep.forHeader(t.header());
        while (t.next(s)) {
            out.add(s.position() + "/" + s.layer() + ":" + java.util.Arrays.toString(s.ids()));
        }
        return out;
    }

    @Test
    void shouldReadTheCsvReadListsQuotedOrNot() throws IOException {
        Path p = write("t.csv", """
                n,l,read_kv
                3,0,"[0,2]"
                3,1,[1]
                4,0,[]
                4,1,"[0, 1, 3]"
                """);
        try (AccessTrace t = Traces.openText(p)) {
            assertInstanceOf(CsvTraceImporter.class, t);
            assertEquals(new TraceHeader(1, 2, 3, 2, false), t.header());
            assertEquals(List.of("3/0:[0, 2]", "3/1:[1]", "4/0:[]", "4/1:[0, 1, 3]"), steps(t));
        }
    }

    @Test
    void shouldNameTheFileAndLineOfBadCsvRows() throws IOException {
        Path beyond = write("a.csv", "n,l,read_kv\n3,0,\"[0,3]\"\n");
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> {
            try (AccessTrace t = Traces.openText(beyond)) {
                steps(t);
            }
        });
        assertTrue(e.getMessage().contains("a.csv: line 2: read id 3 is not below n=3"), e.getMessage());

        Path unquoted = write("b.csv", "n,l,read_kv\n3,0,[0,1]\n");
        e = assertThrows(TraceFormatException.class, () -> Traces.openText(unquoted));
        assertTrue(e.getMessage().contains("b.csv: line 2: a list with commas must be quoted"), e.getMessage());

        Path junk = write("c.csv", "n,l,read_kv\n3,0,\"[0,x\u0001]\"\n");
        e = assertThrows(TraceFormatException.class, () -> {
            try (AccessTrace t = Traces.openText(junk)) {
                steps(t);
            }
        });
        // The control byte is caught by the line reader, before the list is parsed.
        assertTrue(e.getMessage().contains("line 2: byte 0x01 at column 10"), e.getMessage());

        Path letter = write("c2.csv", "n,l,read_kv\n3,0,\"[0,x]\"\n");
        e = assertThrows(TraceFormatException.class, () -> {
            try (AccessTrace t = Traces.openText(letter)) {
                steps(t);
            }
        });
        assertTrue(e.getMessage().contains("line 2: bad character 'x'"), e.getMessage());

        Path order = write("d.csv", "n,l,read_kv\n3,1,[]\n3,0,[]\n");
        e = assertThrows(TraceFormatException.class, () -> {
            try (AccessTrace t = Traces.openText(order)) {
                steps(t);
            }
        });
        assertTrue(e.getMessage().contains("d.csv: line 2: expected step n=3 l=0, got n=3 l=1"), e.getMessage());

        Path empty = write("e.csv", "n,l,read_kv\n");
        e = assertThrows(TraceFormatException.class, () -> Traces.openText(empty));
        assertTrue(e.getMessage().contains("no rows after the header"), e.getMessage());
    }

    @Test
    void shouldAcceptPythonBooleanFlagsAndAFinalMlpLine() throws IOException {
        Path p = write("t.txt", """
                3,0,0,[1],False
                3,0,1,[],False
                3,1,0,[],True
                3,1,1,[],False
                """);
        try (AccessTrace t = Traces.openText(p)) {
            assertInstanceOf(TextTraceImporter.class, t);
            assertEquals(List.of("3/0:[0, 2]", "3/1:[0, 1, 2]"), steps(t));
        }
        Path bad = write("u.txt", "3,0,0,[1],Maybe\n");
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> new TextTraceImporter(bad));
        assertTrue(e.getMessage().contains("flag is not an integer"), e.getMessage());
    }

    @Test
    void shouldStillRejectAnAttentionLineAfterTheLastStep() throws IOException {
        // the header counts positions 3..4 for layer 0; a second n=4 line is one step too many
        Path p = write("t.txt", "3,0,0,[],0\n4,0,0,[],0\n4,0,1,[],0\n4,0,0,[],0\n");
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> {
            try (AccessTrace t = Traces.openText(p)) {
                steps(t);
            }
        });
        assertTrue(e.getMessage().contains("line 4: step beyond the last expected one"), e.getMessage());
    }

    @Test
    void shouldImportBothSampleFormatsUnmodifiedAndIdentically() throws IOException {
        Path csv = SAMPLES.resolve("author-format-sample.csv");
        Path txt = SAMPLES.resolve("author-format-sample.txt");
        assumeTrue(Files.isReadable(csv) && Files.isReadable(txt), "author-format samples not found at "
                + SAMPLES.toAbsolutePath().normalize() + "; skipping (see /work/shared/traces/README.md)");
        List<String> a;
        List<String> b;
        TraceHeader ha;
        try (AccessTrace t = Traces.openText(csv)) {
            assertInstanceOf(CsvTraceImporter.class, t);
            ha = t.header();
            a = steps(t);
        }
        try (AccessTrace t = Traces.openText(txt)) {
            assertInstanceOf(TextTraceImporter.class, t);
            assertEquals(ha, t.header());
            b = steps(t);
        }
        // README: 2 layers, positions 40-45
        assertEquals(new TraceHeader(1, 2, 40, 6, false), ha);
        assertEquals(12, a.size());
        assertEquals(a, b);
        assertFalse(a.get(0).endsWith(":[]"));
        assertArrayEquals(new int[] {1, 3, 7, 10, 11, 12, 15, 16, 17, 22, 27, 29, 32, 33, 36, 39},
                ids(a.get(0)));
    }

    private static int[] ids(String step) {
        String list = step.substring(step.indexOf('[') + 1, step.indexOf(']'));
        return java.util.Arrays.stream(list.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
    }
}
