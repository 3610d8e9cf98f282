package org.kvplace.core.engine;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The engine's migration thread: takes each live sequence's queued moves in turn, a few at a
 * time, within each sequence's credit; parks when there is nothing to do (woken by a new plan or a
 * new step's grant, else after a millisecond).
 */
final class MigrationWorker {

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
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }
}
