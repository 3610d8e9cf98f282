package org.kvplace.examples.llama;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;
import org.kvplace.core.trace.TraceWriter;

/**
 * Records the pages attention reads into a kvplace trace file, as an {@link AttentionObserver}.
 *
 * <p>The trace's units are the cache's pages ({@code unitTokens = pageTokens}). Its steps are the
 * decode positions after the prompt: the step of position {@code n} and layer {@code l} lists the
 * pages holding tokens {@code 0..n-1} that attention read (the token at {@code n} is the one the
 * step writes, so a page holding only it is not a read unit). Positions of the prompt are not
 * recorded. The header fixes the number of decode positions, so the run must feed exactly that
 * many: {@link #close()} fails otherwise. Attention masses are not recorded (the kernel does not
 * report them).
 *
 * <p>Owns the file; not thread-safe; {@link #close()} is idempotent.
 */
public final class TraceRecorder implements AttentionObserver, AutoCloseable {

    private final TraceHeader header;
    private final TraceWriter writer;
    private final TraceStep step;
    private boolean closed;

    /**
     * Creates (or replaces) {@code file}.
     *
     * @param pageTokens tokens per page of the cache
     * @param layers layers of the model
     * @param promptTokens tokens fed before the first recorded position (at least 1)
     * @param decodePositions positions recorded after the prompt
     * @throws IOException if the file cannot be written
     */
    public TraceRecorder(Path file, int pageTokens, int layers, int promptTokens, int decodePositions)
            throws IOException {
        this.header = new TraceHeader(pageTokens, layers, promptTokens, decodePositions, false);
        this.writer = TraceWriter.create(file, header);
        this.step = TraceStep.forHeader(header);
    }

    /** The trace header. */
    public TraceHeader header() {
        return header;
    }

    @Override
    public void attended(int position, int layer, int[] pages, int pageCount) {
        if (position < header.promptTokens()) {
            return;
        }
        int units = header.unitsBefore(position);
        step.reset(position, layer, units);
        for (int i = 0; i < pageCount && pages[i] < units; i++) {
            step.add(pages[i]);
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
