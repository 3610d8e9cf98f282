package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Item 12 of the bad-input catalogue: a failed copy reports its own failure and leaves no file. */
class TraceWriterFailureTest {

    @TempDir
    Path dir;

    private static final TraceHeader HEADER = new TraceHeader(1, 1, 2, 4, false);

    /** A trace whose step {@code failStep} fails as a corrupt source would (-1: none fails). */
    private static AccessTrace failingAt(int failStep, IOException failure) {
        return new AccessTrace() {
            int n;

            @Override
            public TraceHeader header() {
                return HEADER;
            }

            @Override
            public boolean next(TraceStep into) throws IOException {
                if (n == failStep) {
                    throw failure;
                }
                if (n == HEADER.decodeTokens()) {
                    return false;
                }
                int position = HEADER.promptTokens() + n;
                into.reset(position, 0, HEADER.unitsBefore(position));
                into.add(0);
                n++;
                return true;
            }

            @Override
            public void close() {}
        };
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void shouldReportTheSourcesFailureAndLeaveNoFile() throws IOException {
        TraceFormatException cause = new TraceFormatException("t.txt: line 3: bad ids");
        Path out = dir.resolve("out.kvpt");
        IOException e = assertThrows(IOException.class, () -> Traces.writeFile(failingAt(2, cause), out));
        assertSame(cause, e, "the import's failure, not 'trace incomplete'");
        assertEquals(List.of(), files(), "no partial file, no temporary file");
    }

    @Test
    void shouldKeepAnOldFileWhenACopyFails() throws IOException {
        Path out = Files.write(dir.resolve("out.kvpt"), new byte[] {1, 2, 3});
        assertThrows(IOException.class, () -> Traces.writeFile(failingAt(1, new IOException("boom")), out));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(out));
        assertEquals(List.of(out), files());
    }

    @Test
    void shouldWriteNothingWhenClosedIncomplete() throws IOException {
        Path out = dir.resolve("w.kvpt");
        TraceWriter w = TraceWriter.create(out, HEADER);
        IOException e = assertThrows(IOException.class, w::close);
        assertTrue(e.getMessage().contains("trace incomplete: 0 of 4"), e.getMessage());
        assertEquals(List.of(), files());
        assertFalse(Files.exists(out));
    }

    @Test
    void shouldMoveACompleteTraceIntoPlace() throws IOException {
        Path out = dir.resolve("ok.kvpt");
        Traces.writeFile(failingAt(-1, null), out);
        assertEquals(List.of(out), files());
        try (TraceReader r = TraceReader.open(out)) {
            assertEquals(HEADER, r.header());
        }
    }
}
