package org.kvplace.core.sim;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;
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
 *
 * <p>The ring is a single-producer, single-consumer queue of two counters. A side that must wait
 * parks until the other has made a batch of room or of steps ({@value #REFILL} free slots for
 * the reader, {@value #BATCH} steps or the end for the replay), so that when one side is the
 * slower the other is woken once per batch, not once per step (a wake-up is a system call on
 * both sides).
 */
final class PrefetchedTrace implements AccessTrace {

    /** Steps below which a replay reads its trace in its own thread (a thread costs more). */
    static final long MIN_STEPS = 1 << 14;

    private static final int SLOTS = 64;
    /** A reader that found the ring full sleeps until this many slots are free. */
    private static final int REFILL = SLOTS / 2;
    /** A replay that found the ring empty sleeps until this many steps are ready, or the end. */
    private static final int BATCH = 8;

    private final AccessTrace inner;
    private final TraceHeader header;
    private final TraceStep[] slots = new TraceStep[SLOTS];
    private final Thread reader;
    private volatile long produced;        // steps the reader has put in the ring
    private volatile long consumed;        // steps the replay has taken from it
    private volatile boolean readerDone;   // no step will follow the produced ones (end or failure)
    private volatile Throwable failure;
    private volatile boolean closed;
    private volatile boolean readerWaiting;
    private volatile Thread consumerWaiting;
    private boolean ended;

    PrefetchedTrace(AccessTrace inner) {
        this.inner = inner;
        this.header = inner.header();
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = TraceStep.forHeader(header);
        }
        this.reader = Thread.ofPlatform().daemon().name("kvplace-trace-read-ahead").unstarted(this::read);
        reader.start();
    }

    private void read() {
        try {
            long p = 0;
            while (!closed) {
                if (p - consumed >= SLOTS) {
                    // Full: sleep until half the ring is free. The flag is raised before the
                    // condition is read again, and the replay reads it after it frees a slot, so
                    // one of the two sees the other.
                    readerWaiting = true;
                    while (!closed && p - consumed > SLOTS - REFILL) {
                        LockSupport.park(this);
                    }
                    readerWaiting = false;
                    continue;
                }
                if (!inner.next(slots[(int) (p % SLOTS)])) {
                    break;
                }
                produced = ++p;
                Thread c = consumerWaiting;
                if (c != null && p - consumed >= BATCH) {
                    LockSupport.unpark(c);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
        } finally {
            readerDone = true;
            Thread c = consumerWaiting;
            if (c != null) {
                LockSupport.unpark(c);
            }
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
        long c = consumed;
        if (produced == c && !readerDone) {
            consumerWaiting = Thread.currentThread();
            while (produced - c < BATCH && !readerDone) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    consumerWaiting = null;
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while reading the trace ahead");
                }
            }
            consumerWaiting = null;
        }
        if (produced == c) {   // the reader is done and every step it made has been taken
            ended = true;
            Throwable t = failure;
            if (t == null) {
                return false;
            }
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw (Error) t;
        }
        into.copyFrom(slots[(int) (c % SLOTS)]);
        consumed = c + 1;
        if (readerWaiting && produced - (c + 1) <= SLOTS - REFILL) {
            LockSupport.unpark(reader);
        }
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
        LockSupport.unpark(reader);
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
