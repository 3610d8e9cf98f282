package org.kvplace.core.trace;

import java.io.IOException;
import java.nio.file.Path;

/** Helpers over traces. Stateless. */
public final class Traces {

    private Traces() {}

    /**
     * Copies every step of {@code from} into a binary trace file.
     *
     * @return bytes written
     * @throws IOException if reading or writing fails
     */
    public static long writeFile(AccessTrace from, Path file) throws IOException {
        TraceStep step = TraceStep.forHeader(from.header());
        TraceWriter w = TraceWriter.create(file, from.header());
        try {
            while (from.next(step)) {
                w.write(step);
            }
        } finally {
            w.close();
        }
        return w.bytesWritten();
    }
}
