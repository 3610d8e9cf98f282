package org.kvplace.core.engine;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The engine's migration thread: takes each live sequence's queued moves in turn, a few at a
 * time, within each sequence's credit; parks when there is nothing to do, until a sequence queues a
 * move or a step's grant finds moves waiting for credit (a timed park is only a safety net). It is
 * not woken for plans whose moves all ran on the decode thread: on two cores every needless wake-up
 * of a third thread takes a core from a lane.
 */
final class MigrationWorker {

    /** The longest the worker parks without being woken. */
    private static final long IDLE_PARK_NANOS = 100_000_000L;

    /** Moves taken from one sequence before the worker turns to the next. */
    private static final int BATCH = 8;

    private final Supplier<KvSequence[]> live;
    private final Thread thread;
    private volatile boolean stopped;

    MigrationWorker(Supplier<KvSequence[]> live) {
        this.live = live;
        this.thread = Thread.ofPlatform().name("kvplace-migration").daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Wakes the worker if it is parked. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** The thread (for tests). */
    Thread thread() {
        return thread;
    }

    /**
     * Stops the worker and waits until it has ended (a move in progress completes first).
     *
     * @return whether the calling thread was interrupted while waiting (its flag is then to be restored)
     */
    boolean stop() {
        stopped = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    private void run() {
        while (!stopped) {
            boolean any = false;
            for (KvSequence s : live.get()) {
                try {
                    any |= s.runMoves(BATCH);
                } catch (RuntimeException e) {
                    // A sequence closing under the worker; its moves are dropped.
                }
            }
            if (!any) {
                LockSupport.parkNanos(IDLE_PARK_NANOS);
            }
        }
    }
}
