package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTraceImporterTest {

    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        Path p = dir.resolve("t.txt");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void shouldReadTheTokensThatAreNotSkippedAndIgnoreMlpLines() throws IOException {
        Path p = write("""
                # n,l,s,[skipped],flag
                5,0,0,[1 3],0
                5,0,1,[],0
                5,1,0,[],1
                6,0,0,[0,2,5],0
                6,0,1,[],0
                6,1,0,[5],0
                """);
        try (TextTraceImporter t = new TextTraceImporter(p)) {
            assertEquals(new TraceHeader(1, 2, 5, 2, false), t.header());
            TraceStep s = TraceStep.forHeader(t.header());
            assertTrue(t.next(s));
            assertArrayEquals(new int[] {0, 2, 4}, s.ids());
            assertTrue(t.next(s));
            assertArrayEquals(new int[] {0, 1, 2, 3, 4}, s.ids());
            assertTrue(t.next(s));
            assertEquals(6, s.position());
            assertArrayEquals(new int[] {1, 3, 4}, s.ids());
            assertTrue(t.next(s));
            assertArrayEquals(new int[] {0, 1, 2, 3, 4}, s.ids());
            assertFalse(t.next(s));
        }
    }

    @Test
    void shouldNameTheLineOfASkippedIdAtOrBeyondN() throws IOException {
        Path p = write("5,0,0,[5],0\n");
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> {
            try (TextTraceImporter t = new TextTraceImporter(p)) {
                t.next(TraceStep.forHeader(t.header()));
            }
        });
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("5"), e.getMessage());
    }

    @Test
    void shouldNameTheLineOfMalformedOrMisorderedSteps() throws IOException {
        TraceFormatException e = assertThrows(TraceFormatException.class,
                () -> new TextTraceImporter(write("5,0,0,[1],0\n5,x,0,[],0\n")));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("'x'"), e.getMessage());
        Path missingLayer = write("5,0,0,[],0\n5,1,0,[],0\n6,1,0,[],0\n");
        e = assertThrows(TraceFormatException.class, () -> {
            try (TextTraceImporter t = new TextTraceImporter(missingLayer)) {
                TraceStep s = TraceStep.forHeader(t.header());
                while (t.next(s)) {
                    // drain
                }
            }
        });
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("expected step n=6 l=0"),
                e.getMessage());
        e = assertThrows(TraceFormatException.class, () -> new TextTraceImporter(write("5,0,0,1 2,0\n")));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }
}
