package org.kvplace.core.trace;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/** Helpers over traces. Stateless. */
public final class Traces {

    private Traces() {}

    /**
     * Copies every step of {@code from} into a binary trace file, written to a temporary file and
     * moved into place when complete: a failed copy leaves no file (and an old one as it was).
     *
     * @return bytes written
     * @throws IOException if reading or writing fails
     */
    public static long writeFile(AccessTrace from, Path file) throws IOException {
        return copy(from, TraceWriter.create(file, from.header()));
    }

    /**
     * Copies every step of {@code from} as a binary trace to {@code out}, which is closed.
     *
     * @return bytes written
     * @throws IOException if reading or writing fails, with the failure that stopped the copy
     */
    public static long write(AccessTrace from, OutputStream out) throws IOException {
        return copy(from, new TraceWriter(out, from.header()));
    }

    private static long copy(AccessTrace from, TraceWriter w) throws IOException {
        TraceStep step = TraceStep.forHeader(from.header());
        try {
            while (from.next(step)) {
                w.write(step);
            }
        } catch (IOException | RuntimeException | Error e) {
            w.abort(); // an unfinished trace; the failure to report is the one that stopped it
            throw e;
        }
        w.close();
        return w.bytesWritten();
    }
}
