package org.kvplace.core.sim;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

/**
 * A trace read ahead on a thread of its own: the steps of {@code inner} are produced (generated,
 * decoded) into a ring of {@value #SLOTS} buffers while the replay prices and plans the earlier
 * ones, so on two cores a replay takes about the longer of the two instead of their sum. The
 * steps, their order and any failure are those of {@code inner} (a failure is thrown by the
 * {@link #next} call that would have met it). The inner trace belongs to the reading thread until
 * {@link #close}, which stops and joins it and leaves {@code inner} open (its owner closes it).
 * Allocates only when built. One consumer thread.
 */
final class PrefetchedTrace implements AccessTrace {

    /** Steps below which a replay reads its trace in its own thread (a thread costs more). */
    static final long MIN_STEPS = 1 << 14;

    private static final int SLOTS = 64;
    private static final Integer END = -1;
    private static final Integer FAILED = -2;
    private static final Integer STOP = -3;

    private final AccessTrace inner;
    private final TraceHeader header;
    private final TraceStep[] slots = new TraceStep[SLOTS];
    private final BlockingQueue<Integer> free = new ArrayBlockingQueue<>(SLOTS + 1);
    private final BlockingQueue<Integer> full = new ArrayBlockingQueue<>(SLOTS + 1);
    private final Thread reader;
    private volatile Throwable failure;
    private volatile boolean closed;
    private boolean ended;

    PrefetchedTrace(AccessTrace inner) {
        this.inner = inner;
        this.header = inner.header();
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = TraceStep.forHeader(header);
            free.add(i);
        }
        this.reader = Thread.ofPlatform().daemon().name("kvplace-trace-read-ahead").unstarted(this::read);
        reader.start();
    }

    private void read() {
        try {
            while (true) {
                int i = free.take();
                if (closed || i < 0) {
                    return;
                }
                if (!inner.next(slots[i])) {
                    full.put(END);
                    return;
                }
                full.put(i);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // nobody interrupts this thread; ends it
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
            full.add(FAILED);
        }
    }

    @Override
    public TraceHeader header() {
        return header;
    }

    @Override
    public boolean next(TraceStep into) throws IOException {
        if (ended) {
            return false;
        }
        int i;
        try {
            i = full.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the trace ahead", e);
        }
        if (i == END) {
            ended = true;
            return false;
        }
        if (i == FAILED) {
            ended = true;
            Throwable t = failure;
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw (Error) t;
        }
        into.copyFrom(slots[i]);
        free.add(i);
        return true;
    }

    /**
     * Stops the reading thread after the step it is reading, without interrupting it (an
     * interrupt would close a file channel under {@code inner}), and joins it; {@code inner}
     * stays open. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        free.offer(STOP);
        boolean interrupted = false;
        while (true) {
            try {
                reader.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
