package org.kvplace.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The background trial behind the warm-start façades ({@link WarmStartKernel}, {@link WarmStartMatVec}):
 * on a daemon thread it runs a batch of the scalar implementation and a batch of the Vector API one
 * on the same synthetic inputs, round after round, each timed by the thread's CPU time, and calls
 * {@code switchOver} once at least {@code minRounds} rounds have run (enough calls of every method
 * for HotSpot to have queued its C2 compilation: before that the Vector API runs interpreted or in
 * C1 code, which allocates every vector and is many times slower than scalar code, and a cold
 * scalar batch can be slower still, so an early comparison means nothing) and the vector batch has
 * then cost no more than the scalar batch in {@value #ROUNDS_AHEAD} consecutive rounds; after
 * {@value #DEADLINE_SECONDS} seconds at the latest.
 *
 * <p>Why CPU time: on a loaded machine the thread is descheduled for long stretches, and wall time
 * would then measure the other jobs.
 */
final class WarmUp {

    /**
     * Nanoseconds from a façade's first call to the start of its trial. A trial compiles the Vector
     * API implementation and times both: on two cores it takes a core, and the C2 compiler thread,
     * from the decode that is starting, whose own scalar code is waiting to be compiled. A short run
     * (256 tokens of stories260K take about half a second cold) finishes in scalar code sooner
     * without it; a long run switches at most this much later.
     */
    static final long START_DELAY_NANOS = 500_000_000L;

    /** Consecutive rounds the vector batch must win. */
    static final int ROUNDS_AHEAD = 3;
    /** Wall-clock seconds after which the trial switches whatever it measured. */
    static final int DEADLINE_SECONDS = 20;

    /** One round of one implementation; returns something the JIT must not discard. */
    interface Batch {
        float run();
    }

    private WarmUp() {}

    /**
     * When a façade's trial starts: {@link #due} is {@code true} once the delay has passed since the
     * first call that asked, and {@link #start} is {@code true} for exactly one call once it is due.
     * Thread-safe; a few nanoseconds per call until the trial has started, one volatile read after.
     */
    static final class Delay {
        private static final long UNSET = Long.MIN_VALUE;
        private final long delayNanos;
        private final java.util.concurrent.atomic.AtomicLong first = new java.util.concurrent.atomic.AtomicLong(UNSET);
        private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

        Delay(long delayNanos) {
            this.delayNanos = delayNanos;
        }

        /** Whether the delay has passed since the first call of this method. */
        boolean due() {
            long now = System.nanoTime();
            long f = first.get();
            if (f == UNSET) {
                first.compareAndSet(UNSET, now);
                return delayNanos <= 0;
            }
            return now - f >= delayNanos;
        }

        /** Whether {@link #due} has been called. */
        boolean armed() {
            return first.get() != UNSET;
        }

        /** {@code true} for the one call that starts the trial: the first once {@link #due}. */
        boolean start() {
            return !started.get() && due() && started.compareAndSet(false, true);
        }

        /** Whether {@link #start} has returned {@code true}. */
        boolean started() {
            return started.get();
        }
    }

    /**
     * Starts the trial on a daemon thread named {@code name}.
     *
     * @param minRounds rounds to run before the times are compared
     * @param scalar a batch of the scalar implementation
     * @param vector the same batch on the Vector API implementation
     * @param switchOver called once, on the trial's thread, when the vector batch has won (or at the
     *     deadline, or when a batch failed: the façade then leaves the choice to the caller's kernel)
     */
    static void start(String name, int minRounds, Batch scalar, Batch vector, Runnable switchOver) {
        Thread t = new Thread(() -> run(minRounds, scalar, vector, switchOver), name);
        t.setDaemon(true); // never keeps a finished program alive
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** The trial itself (on the calling thread); returns the rounds it ran. */
    static int run(int minRounds, Batch scalar, Batch vector, Runnable switchOver) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpu = threads.isCurrentThreadCpuTimeSupported();
        long deadline = System.nanoTime() + DEADLINE_SECONDS * 1_000_000_000L;
        int ahead = 0;
        int rounds = 0;
        float sink = 0f;
        try {
            while (ahead < ROUNDS_AHEAD && System.nanoTime() - deadline < 0) {
                long t0 = now(threads, cpu);
                sink += scalar.run(); // every round: a cold scalar batch compared with a warm vector one would lose
                long t1 = now(threads, cpu);
                sink += vector.run();
                long t2 = now(threads, cpu);
                rounds++;
                ahead = rounds >= minRounds && t2 - t1 <= t1 - t0 ? ahead + 1 : 0;
            }
        } catch (RuntimeException | Error e) {
            // a synthetic input the kernel refused: the caller's calls will say what is wrong
            System.getLogger(WarmUp.class.getName()).log(System.Logger.Level.DEBUG, "warm-up stopped", e);
        } finally {
            int ran = rounds;
            System.getLogger(WarmUp.class.getName()).log(System.Logger.Level.DEBUG, () -> String.format(
                    "%s: switched after %d rounds, %.3f s", Thread.currentThread().getName(), ran,
                    DEADLINE_SECONDS - (deadline - System.nanoTime()) / 1e9));
            switchOver.run();
        }
        return sink == Float.MIN_VALUE ? -rounds : rounds; // sink read: the batches stay
    }

    private static long now(ThreadMXBean threads, boolean cpu) {
        return cpu ? threads.getCurrentThreadCpuTime() : System.nanoTime();
    }
}
