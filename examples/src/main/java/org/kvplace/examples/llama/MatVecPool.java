package org.kvplace.examples.llama;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Matrix-vector products split by rows over a small fixed set of threads: the calling thread and
 * {@code threads - 1} workers, started once and parked between products.
 *
 * <p>A product (or two or three products that share their input, such as Q, K and V) is cut into
 * chunks of {@link #chunkRows()} rows; the caller and the workers take chunks from one atomic
 * counter until none is left, so a thread the machine does not schedule for a while delays nobody
 * but its own chunk. A row's value does not depend on the chunk that holds it (one {@link Matrix#dot},
 * or for f32 rows {@code MatVec.dotF32Rows}, whose rows never depend on the range), so the results
 * are bit-identical to {@link Matrix#matvec} for every thread count. Products of fewer
 * than {@link #minParallelWork()} weights run on the caller alone (waking a worker costs more than
 * they take).
 *
 * <p>Workers spin for {@link #SPIN_NANOS} after a product, so that the next one (a few
 * microseconds later within a layer) finds them awake, then park until the caller publishes work.
 * Nothing is allocated per product. One caller at a time (the decoder's thread); {@link #close()}
 * stops the workers and is idempotent.
 */
final class MatVecPool implements AutoCloseable {

    /** Rows per chunk by default: 64 rows of 2,048 f16 weights are 256 KiB. */
    static final int DEFAULT_CHUNK_ROWS = 64;
    /** Products smaller than this many weights run on the caller by default. */
    static final long DEFAULT_MIN_PARALLEL_WORK = 1 << 16;
    /** How long an idle worker spins before it parks. */
    static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final int chunkRows;
    private final long minParallelWork;
    private final Worker[] workers;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The published job's id (high 32 bits) and the chunks not yet taken (low 32 bits). */
    private final AtomicLong state = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private int job;

    // The published job: written by the caller before it publishes the job in 'state', read by a
    // thread after it took a chunk (a chunk is taken only while the job is unfinished, and the caller
    // writes the next job only when every chunk is done).
    private final Matrix[] matrices = new Matrix[3];
    private final float[][] outs = new float[3][];
    private final int[] firstChunk = new int[4];
    private float[] x;
    private int totalChunks;

    /**
     * A pool of {@code threads} threads (the caller and {@code threads - 1} workers) with the default
     * chunk size and threshold.
     *
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    MatVecPool(int threads) {
        this(threads, DEFAULT_CHUNK_ROWS, DEFAULT_MIN_PARALLEL_WORK);
    }

    /**
     * A pool with a chosen chunk size and threshold (tests split small matrices with these).
     *
     * @throws IllegalArgumentException if {@code threads < 1}, {@code chunkRows < 1} or
     *     {@code minParallelWork < 0}
     */
    MatVecPool(int threads, int chunkRows, long minParallelWork) {
        if (threads < 1 || chunkRows < 1 || minParallelWork < 0) {
            throw new IllegalArgumentException("threads " + threads + " and chunkRows " + chunkRows
                    + " must be >= 1, minParallelWork " + minParallelWork + " >= 0");
        }
        this.threads = threads;
        this.chunkRows = chunkRows;
        this.minParallelWork = minParallelWork;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    /** Threads that compute, the caller included. */
    int threads() {
        return threads;
    }

    /** Rows per chunk. */
    int chunkRows() {
        return chunkRows;
    }

    /** Products with fewer weights than this run on the caller alone. */
    long minParallelWork() {
        return minParallelWork;
    }

    /** {@code out = m x}. */
    void matvec(Matrix m, float[] x, float[] out) {
        run(m, out, null, null, null, null, x);
    }

    /** {@code outA = a x} and {@code outB = b x}, split as one piece of work. */
    void matvec(Matrix a, float[] outA, Matrix b, float[] outB, float[] x) {
        run(a, outA, b, outB, null, null, x);
    }

    /** {@code outA = a x}, {@code outB = b x} and {@code outC = c x}, split as one piece of work. */
    void matvec(Matrix a, float[] outA, Matrix b, float[] outB, Matrix c, float[] outC, float[] x) {
        run(a, outA, b, outB, c, outC, x);
    }

    private void run(Matrix a, float[] outA, Matrix b, float[] outB, Matrix c, float[] outC, float[] x) {
        if (closed.get()) {
            throw new IllegalStateException("matrix-vector pool closed");
        }
        a.checkMatvec(x, outA);
        long work = (long) a.rows() * a.cols();
        if (b != null) {
            b.checkMatvec(x, outB);
            work += (long) b.rows() * b.cols();
        }
        if (c != null) {
            c.checkMatvec(x, outC);
            work += (long) c.rows() * c.cols();
        }
        if (workers.length == 0 || work < minParallelWork) {
            a.matvec(x, outA);
            if (b != null) {
                b.matvec(x, outB);
            }
            if (c != null) {
                c.matvec(x, outC);
            }
            return;
        }
        matrices[0] = a;
        matrices[1] = b;
        matrices[2] = c;
        outs[0] = outA;
        outs[1] = outB;
        outs[2] = outC;
        this.x = x;
        int chunks = 0;
        for (int i = 0; i < 3; i++) {
            firstChunk[i] = chunks;
            if (matrices[i] != null) {
                chunks += Math.ceilDiv(matrices[i].rows(), chunkRows);
            }
        }
        firstChunk[3] = chunks;
        totalChunks = chunks;
        done.set(0);
        job++;
        state.set((long) job << 32 | chunks); // publishes the fields above
        for (Worker w : workers) {
            if (w.sleeping) {
                LockSupport.unpark(w);
            }
        }
        work();
        while (done.get() < chunks) {
            Thread.onSpinWait();
        }
        matrices[0] = matrices[1] = matrices[2] = null; // no reference outlives the product
        outs[0] = outs[1] = outs[2] = null;
        this.x = null;
    }

    /** Takes chunks of the published job until none is left. */
    private void work() {
        while (true) {
            long s = state.get();
            int left = (int) s;
            if (left == 0) {
                return;
            }
            if (!state.compareAndSet(s, s - 1)) {
                continue;
            }
            int chunk = totalChunks - left; // the fields are the job's: it cannot finish before this chunk
            int i = chunk >= firstChunk[2] ? 2 : chunk >= firstChunk[1] ? 1 : 0;
            Matrix m = matrices[i];
            int from = (chunk - firstChunk[i]) * chunkRows;
            m.matvec(x, outs[i], from, Math.min(m.rows(), from + chunkRows));
            done.incrementAndGet();
        }
    }

    /** Stops the workers (they finish no new work). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
        for (Worker w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "MatVecPool[" + threads + " threads, " + chunkRows + "-row chunks]";
    }

    private final class Worker extends Thread {
        volatile boolean sleeping;

        Worker(int index) {
            super("kvplace-matvec-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            int seen = 0;
            while (!closed.get()) {
                int current = (int) (state.get() >>> 32);
                if (current != seen) {
                    seen = current;
                    work();
                    continue;
                }
                long until = System.nanoTime() + SPIN_NANOS;
                while ((int) (state.get() >>> 32) == seen && System.nanoTime() < until && !closed.get()) {
                    Thread.onSpinWait();
                }
                if ((int) (state.get() >>> 32) != seen) {
                    continue;
                }
                sleeping = true; // then re-check: the caller reads 'sleeping' after it publishes
                if ((int) (state.get() >>> 32) == seen && !closed.get()) {
                    LockSupport.park(this);
                }
                sleeping = false;
            }
        }
    }
}
