package org.kvplace.core.trace;

import java.io.IOException;

/**
 * A trace read step by step, in order (see {@link TraceHeader}). Memory does not grow with the
 * trace's length. Single-use and not thread-safe; {@link #close()} is idempotent.
 */
public interface AccessTrace extends AutoCloseable {

    /** What the trace covers. */
    TraceHeader header();

    /**
     * Fills {@code into} with the next step.
     *
     * @param into a buffer sized for {@link #header()} (see {@link TraceStep#forHeader})
     * @return false at the end of the trace
     * @throws TraceFormatException if the source is corrupt or truncated (with the byte offset or line)
     * @throws IOException if reading fails
     */
    boolean next(TraceStep into) throws IOException;

    /**
     * Whether a step costs enough to produce (generated, decoded) that a long replay should read
     * the trace ahead on a thread of its own: true unless the trace already sits in memory
     * ({@link Traces#inMemory}), where handing steps between threads would cost more than it saves.
     */
    default boolean worthReadingAhead() {
        return true;
    }

    @Override
    void close() throws IOException;
}
