package org.kvplace.examples.llama;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;
import org.kvplace.core.trace.TraceWriter;

/**
 * Records the pages attention reads, with their attention masses, into a kvplace trace file, as an
 * {@link AttentionObserver}.
 *
 * <p>The trace's units are the cache's pages ({@code unitTokens = pageTokens}). Its steps are the
 * decode positions after the prompt: the step of position {@code n} and layer {@code l} lists the
 * pages holding tokens {@code 0..n-1} that attention read (the token at {@code n} is the one the
 * step writes, so a page holding only it is not a read unit). Positions of the prompt are not
 * recorded. The header fixes the number of decode positions, so the run must feed exactly that
 * many: {@link #close()} fails otherwise.
 *
 * <p>Every step carries masses ({@link TraceHeader#hasMass()}): each recorded page's mass as the
 * observer reports it, the sum over query heads of the probability its tokens received. The step's
 * masses therefore add up to the number of query heads, less the mass the new token drew on itself
 * when it opened a new page (a page holding only the token being written is no read unit, so its
 * mass is not recorded); when the new token shares a page with older tokens its own mass is part of
 * that page's.
 *
 * <p>Owns the file; not thread-safe; {@link #close()} is idempotent.
 */
public final class TraceRecorder implements AttentionObserver, AutoCloseable {

    private final TraceHeader header;
    private final TraceWriter writer;
    private final TraceStep step;
    private boolean closed;

    /**
     * Creates (or replaces) {@code file}, written to a temporary file and moved into place by a
     * complete {@link #close()}.
     *
     * @param pageTokens tokens per page of the cache
     * @param layers layers of the model
     * @param promptTokens tokens fed before the first recorded position (at least 1)
     * @param decodePositions positions recorded after the prompt
     * @throws IOException if the file cannot be written
     */
    public TraceRecorder(Path file, int pageTokens, int layers, int promptTokens, int decodePositions)
            throws IOException {
        this.header = new TraceHeader(pageTokens, layers, promptTokens, decodePositions, true);
        this.writer = TraceWriter.create(file, header);
        this.step = TraceStep.forHeader(header);
    }

    /**
     * Writes the trace to {@code out} (taken over: closed by {@link #close()} or {@link #abort()});
     * otherwise as {@link #TraceRecorder(Path, int, int, int, int)}.
     *
     * @throws IOException if writing the header fails
     */
    public TraceRecorder(OutputStream out, int pageTokens, int layers, int promptTokens, int decodePositions)
            throws IOException {
        this.header = new TraceHeader(pageTokens, layers, promptTokens, decodePositions, true);
        this.writer = new TraceWriter(out, header);
        this.step = TraceStep.forHeader(header);
    }

    /**
     * Ends an unfinished recording without an exception (the trace is then invalid; a file of the
     * path constructor is not written). For the failure path of a run, whose own exception is the
     * one to report.
     */
    public void abort() {
        if (!closed) {
            closed = true;
            writer.abort();
        }
    }

    /** The trace header. */
    public TraceHeader header() {
        return header;
    }

    /**
     * Writes the step of a decoded position (prompt positions are skipped).
     *
     * @throws IllegalArgumentException if a page is out of range for the position or a mass is not
     *     finite and non-negative
     * @throws java.io.UncheckedIOException if writing fails
     */
    @Override
    public void attended(int position, int layer, int[] pages, float[] masses, int pageCount) {
        if (position < header.promptTokens()) {
            return;
        }
        int units = header.unitsBefore(position);
        step.reset(position, layer, units);
        for (int i = 0; i < pageCount && pages[i] < units; i++) {
            float m = masses[i];
            if (!(m >= 0f) || m == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("position " + position + " layer " + layer + ": mass " + m
                        + " of page " + pages[i] + " is not a finite non-negative number");
            }
            step.add(pages[i]);
            step.setMass(pages[i], m);
        }
        try {
            writer.write(step);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Completes the file.
     *
     * @throws IOException if positions are missing or writing fails
     */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            writer.close();
        }
    }
}
