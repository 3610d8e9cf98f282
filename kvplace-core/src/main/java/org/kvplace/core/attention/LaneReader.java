package org.kvplace.core.attention;

import java.lang.ref.Cleaner;
import java.util.concurrent.locks.LockSupport;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.memory.TierKind;

/**
 * Reads one step's chosen pages in two lanes, one per tier, at the same time: the lane expected to
 * take longer on the calling thread, the other on a lane thread of its own; so that the result does
 * not depend on where the pages sit.
 *
 * <p>Every page is read into a partial state of its own ({@link AttentionState} over that page
 * only), and the partial states merge by log-sum-exp in the order of the pages, whichever lane read
 * them. A page's partial state depends only on its keys, values and the query, and the merge order
 * only on the chosen pages, so moving pages between tiers never changes a single bit of the output
 * or of the page masses. When both lanes read, pages are read in windows of at most
 * {@link #window()} pages (their states about the size of a core's second-level cache), each
 * window's states merging before the next window is read; a single lane merges each page as soon
 * as it is read.
 *
 * <p>Ownership: allocates all its scratch in the constructor; {@link #read} does not allocate. The
 * lane thread starts on the first step that reads pages of both tiers and stops in
 * {@link #close()} (or, if the reader is never closed, after it has become unreachable). Confined
 * to one caller thread at a time.
 */
final class LaneReader implements AutoCloseable {

    /** Bytes of per-page partial states a reader keeps at most (its window), unless one page needs more. */
    static final long WINDOW_BYTES = 512L << 10;

    /** Stops the lane thread of a reader that was never closed once it is unreachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final DecodeKernel kernel;
    private final int queryHeads;
    private final boolean parallel;
    private final int window;
    private final AttentionState[] pageStates;
    private final AttentionState total;
    private final int headDim;
    // Per position and head, for the page masses: the page's sum scaled to the running maximum it
    // was merged at, and that running maximum.
    private final float[] pageScaled;
    private final float[] pageRef;
    private final int[] fastPages;
    private final int[] fastSlots;
    private final int[] slowPages;
    private final int[] slowSlots;
    private final int[] one = new int[1];
    private int fastCount;
    private int slowCount;
    private long fastNanos;
    private long slowNanos;
    private double fastPageNanos = 1;
    private double slowPageNanos = 1;
    private Lane lane;
    private Cleaner.Cleanable laneCleanable;

    LaneReader(DecodeKernel kernel, int queryHeads, int headDim, int maxPages, boolean parallel) {
        this.kernel = kernel;
        this.queryHeads = queryHeads;
        this.parallel = parallel;
        long stateBytes = (long) queryHeads * (headDim + 4) * Float.BYTES;
        this.window = (int) Math.max(1, Math.min(maxPages, WINDOW_BYTES / stateBytes));
        this.pageStates = new AttentionState[window];
        for (int i = 0; i < window; i++) {
            pageStates[i] = new AttentionState(queryHeads, headDim, 1);
        }
        this.total = new AttentionState(queryHeads, headDim, 0);
        this.headDim = headDim;
        this.pageScaled = new float[Math.multiplyExact(maxPages, queryHeads)];
        this.pageRef = new float[pageScaled.length];
        this.fastPages = new int[window];
        this.fastSlots = new int[window];
        this.slowPages = new int[window];
        this.slowSlots = new int[window];
    }

    /** Pages whose partial states are held at once. */
    int window() {
        return window;
    }

    /**
     * Reads {@code pages[0 .. count-1]} of {@code layer}, writes the attention output to {@code out},
     * the tier of each page read to {@code tiers} ({@code 0} fast, {@code 1} slow) and each page's
     * attention mass to {@code mass}.
     */
    void read(KvLayerView layer, float[] q, float[] out, int[] pages, int count, byte[] tiers, float[] mass) {
        total.reset();
        int fastTotal = 0;
        int slowTotal = 0;
        fastNanos = 0;
        slowNanos = 0;
        for (int from = 0; from < count; from += window) {
            int to = Math.min(count, from + window);
            fastCount = 0;
            slowCount = 0;
            for (int i = from; i < to; i++) {
                int page = pages[i];
                if (layer.tier(page) == TierKind.FAST) {
                    tiers[i] = 0;
                    fastSlots[fastCount] = i - from;
                    fastPages[fastCount++] = page;
                } else {
                    tiers[i] = 1;
                    slowSlots[slowCount] = i - from;
                    slowPages[slowCount++] = page;
                }
            }
            if (parallel && fastCount > 0 && slowCount > 0) {
                readWindow(layer, q);
                for (int i = from; i < to; i++) {
                    merge(pageStates[i - from], i);
                }
            } else {
                readInOrder(layer, q, pages, from, to, tiers);
            }
            fastTotal += fastCount;
            slowTotal += slowCount;
        }
        fastCount = fastTotal;
        slowCount = slowTotal;
        total.finish(out);
        masses(count, mass);
    }

    /**
     * Merges the partial state of the page at {@code position} into the total (log-sum-exp, the side
     * with the larger maximum keeping its scale) and keeps what its mass needs.
     */
    private void merge(AttentionState page, int position) {
        float[] max = total.max();
        float[] sum = total.sum();
        float[] acc = total.acc();
        float[] pm = page.max();
        float[] ps = page.sum();
        float[] pa = page.acc();
        int rec = position * queryHeads;
        for (int h = 0; h < queryHeads; h++) {
            float mb = pm[h];
            float ma = max[h];
            int base = h * headDim;
            if (mb <= ma) {
                float cb = expNonPositive(mb - ma);
                sum[h] += ps[h] * cb;
                addScaled(acc, pa, base, base + headDim, cb);
                pageScaled[rec + h] = ps[h] * cb;
                pageRef[rec + h] = ma;
            } else {
                float ca = expNonPositive(ma - mb); // 0 when nothing was merged yet (ma is -inf)
                sum[h] = sum[h] * ca + ps[h];
                for (int d = 0; d < headDim; d++) {
                    acc[base + d] = acc[base + d] * ca + pa[base + d];
                }
                max[h] = mb;
                pageScaled[rec + h] = ps[h];
                pageRef[rec + h] = mb;
            }
        }
    }

    /** {@code acc[i] += x[i] * c} for {@code i} in {@code [from, to)}: a loop the JIT vectorises. */
    private static void addScaled(float[] acc, float[] x, int from, int to, float c) {
        for (int i = from; i < to; i++) {
            acc[i] += x[i] * c;
        }
    }

    private static final float LN2_HI = 0.693145751953125f; // ln 2 in its upper 16 bits: n * LN2_HI is exact
    private static final float LN2_LO = 1.4286068203094172321e-06f;
    private static final float LOG2_E = 1.44269504088896341f;

    /**
     * {@code exp(x)} for {@code x <= 0} in float arithmetic, within 2 ulp of {@link Math#exp} (0 below
     * {@code -87.3}, where the result would be subnormal; 0 for negative infinity). Pure float
     * operations and {@link Math#fma}, so every thread and every JIT tier computes the same bits;
     * several times cheaper than {@link Math#exp}, which this merge calls once per page and head.
     */
    static float expNonPositive(float x) {
        if (!(x >= -87.33654f)) {
            return 0f;
        }
        int n = Math.round(x * LOG2_E);
        float r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x)); // |r| <= ln(2)/2 (plus rounding)
        float p = Math.fma(r, 1f / 5040, 1f / 720);
        p = Math.fma(r, p, 1f / 120);
        p = Math.fma(r, p, 1f / 24);
        p = Math.fma(r, p, 1f / 6);
        p = Math.fma(r, p, 0.5f);
        p = Math.fma(r, p, 1f);
        p = Math.fma(r, p, 1f);
        return p * Float.intBitsToFloat((n + 127) << 23);
    }

    /**
     * Each page's mass: its scaled sum times {@code exp(ref - final max) / final sum}, summed over
     * heads. The running maximum changes at few pages, so most pages share one {@code exp}.
     */
    private void masses(int count, float[] mass) {
        float[] m = total.max();
        float[] s = total.sum();
        for (int i = 0; i < count; i++) {
            mass[i] = 0f;
        }
        for (int h = 0; h < queryHeads; h++) {
            float lastRef = Float.NaN;
            float factor = 0f;
            for (int i = 0; i < count; i++) {
                float ref = pageRef[i * queryHeads + h];
                if (ref != lastRef) { // NaN never equals: the first page computes its factor
                    factor = (float) Math.exp(ref - m[h]) / s[h];
                    lastRef = ref;
                }
                mass[i] += pageScaled[i * queryHeads + h] * factor;
            }
        }
    }

    /**
     * One lane, or lanes one after the other: each page is read and merged at once, in page order,
     * into one reused partial state, which stays in the core's cache (the same arithmetic as the
     * windowed path, so the same bits).
     */
    private void readInOrder(KvLayerView layer, float[] q, int[] pages, int from, int to, byte[] tiers) {
        AttentionState s = pageStates[0];
        long fast = 0;
        long slow = 0;
        long t = System.nanoTime();
        for (int i = from; i < to; i++) {
            s.reset();
            one[0] = pages[i];
            kernel.attendPages(layer, q, one, 0, 1, s);
            merge(s, i);
            long now = System.nanoTime();
            if (tiers[i] == 0) {
                fast += now - t;
            } else {
                slow += now - t;
            }
            t = now;
        }
        account(fast, slow);
    }

    /** Both lanes at once: each reads its pages of the window into their own partial states. */
    private void readWindow(KvLayerView layer, float[] q) {
        if (lane == null) {
            lane = new Lane(kernel, pageStates);
            laneCleanable = CLEANER.register(this, lane::stop);
            lane.thread.start();
        }
        // The lane expected to take longer runs on the calling thread, so that the lane thread's
        // wake-up delay falls on the shorter one (the expectation: each lane's recent time per page).
        boolean slowHere = slowCount * slowPageNanos >= fastCount * fastPageNanos;
        long here;
        long there;
        int ticket = slowHere ? lane.post(layer, q, fastPages, fastSlots, fastCount)
                : lane.post(layer, q, slowPages, slowSlots, slowCount);
        try {
            here = slowHere ? readEach(kernel, layer, q, slowPages, slowSlots, slowCount, pageStates, one)
                    : readEach(kernel, layer, q, fastPages, fastSlots, fastCount, pageStates, one);
        } catch (RuntimeException | Error e) {
            // Never return while the lane still reads pages: the caller's read lock ends then.
            try {
                lane.await(ticket);
            } catch (RuntimeException | Error other) {
                e.addSuppressed(other);
            }
            throw e;
        }
        there = lane.await(ticket);
        account(slowHere ? there : here, slowHere ? here : there);
    }

    /** Adds a window's lane times and updates the expected time per page of each lane. */
    private void account(long fast, long slow) {
        fastNanos += fast;
        slowNanos += slow;
        if (fastCount > 0) {
            fastPageNanos = 0.75 * fastPageNanos + 0.25 * ((double) fast / fastCount);
        }
        if (slowCount > 0) {
            slowPageNanos = 0.75 * slowPageNanos + 0.25 * ((double) slow / slowCount);
        }
    }

    /** Reads each page into its own partial state; returns the nanoseconds taken (0 for no page). */
    private static long readEach(DecodeKernel kernel, KvLayerView layer, float[] q, int[] pages, int[] slots,
            int count, AttentionState[] states, int[] one) {
        if (count == 0) {
            return 0;
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            AttentionState s = states[slots[i]];
            s.reset();
            one[0] = pages[i];
            kernel.attendPages(layer, q, one, 0, 1, s);
        }
        return System.nanoTime() - t0;
    }

    /** Pages the last step read from the fast tier. */
    int fastCount() {
        return fastCount;
    }

    /** Pages the last step read from the slow tier. */
    int slowCount() {
        return slowCount;
    }

    /** Nanoseconds the fast lane of the last step took. */
    long fastNanos() {
        return fastNanos;
    }

    /** Nanoseconds the slow lane of the last step took, throttle included. */
    long slowNanos() {
        return slowNanos;
    }

    /** Stops the lane thread. Idempotent. */
    @Override
    public void close() {
        if (laneCleanable != null) {
            laneCleanable.clean();
        }
    }

    /**
     * The lane thread and its hand-off: it reads the pages of whichever tier the caller posts. It holds no reference to its reader, so that a
     * reader that is never closed can still be collected, and then its {@link Cleaner} stops the
     * thread.
     */
    private static final class Lane implements Runnable {
        private final DecodeKernel kernel;
        private final AttentionState[] states;
        private final int[] one = new int[1];
        final Thread thread;
        // Plain fields published by the volatile write of 'posted' (to the lane) or 'done' (back).
        private KvLayerView layer;
        private float[] query;
        private int[] pages;
        private int[] slots;
        private int count;
        private long nanos;
        private volatile int posted;
        private volatile int done;
        private volatile Thread waiter;
        private volatile Throwable failure;
        private volatile boolean stopped;

        Lane(DecodeKernel kernel, AttentionState[] states) {
            this.kernel = kernel;
            this.states = states;
            this.thread = Thread.ofPlatform().daemon().name("kvplace-lane").unstarted(this);
        }

        int post(KvLayerView layer, float[] q, int[] pages, int[] slots, int count) {
            this.layer = layer;
            this.query = q;
            this.pages = pages;
            this.slots = slots;
            this.count = count;
            failure = null;
            waiter = Thread.currentThread();
            int ticket = posted + 1;
            posted = ticket;
            LockSupport.unpark(thread);
            return ticket;
        }

        /** Waits for step {@code ticket}, rethrows its failure, and returns the lane's nanoseconds. */
        long await(int ticket) {
            // Spin briefly (the slow lane often finishes within microseconds of the fast one), then
            // park so that a throttled slow lane does not keep a core busy.
            long spinUntil = System.nanoTime() + 20_000L;
            while (done != ticket) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            layer = null;
            query = null;
            pages = null;
            slots = null;
            Throwable t = failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            return nanos;
        }

        void stop() {
            stopped = true;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                int ticket;
                while ((ticket = posted) == seen) {
                    if (stopped) {
                        return;
                    }
                    LockSupport.park(this);
                }
                seen = ticket;
                try {
                    nanos = readEach(kernel, layer, query, pages, slots, count, states, one);
                } catch (Throwable t) {
                    failure = t;
                }
                done = ticket;
                LockSupport.unpark(waiter);
            }
        }
    }
}
