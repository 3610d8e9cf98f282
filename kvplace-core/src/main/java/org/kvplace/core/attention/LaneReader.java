package org.kvplace.core.attention;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.memory.TierKind;

/**
 * Reads one step's chosen pages in two lanes, one per tier, at the same time (the lane expected to
 * take longer on the calling thread, the other on a lane thread of its own), so that the result does
 * not depend on where the pages sit.
 *
 * <p>The chosen pages are cut into blocks of {@link #BLOCK} consecutive positions. Each block is
 * read into a partial state of its own ({@link AttentionState} over that block only, the kernel
 * folding its pages in order), and the block states merge by log-sum-exp in block order, whichever
 * lane read them. A block's state depends only on its pages' keys and values and the query; the
 * blocks and the merge order only on the chosen pages. So moving pages between tiers never changes
 * a single bit of the output or of the page masses. A block goes to the lane of the tier most of its
 * pages sit in; a page of the other tier in it is read by that lane all the same (and charged to its
 * own tier, whose throttle it waits for). When both lanes read, blocks are read in windows whose
 * states fit about a core's second-level cache, each window merging before the next is read; a
 * single lane merges each block as soon as it is read.
 *
 * <p>Pages with a copy in each tier ({@link KvLayerView#hasSlowCopy}, an inclusive cache) may be
 * read by either lane. A block most of whose pages sit in the fast tier, and all of whose pages
 * have a slow copy or sit in the slow tier, is <em>shared</em>: once a lane has read its own
 * blocks, it takes shared blocks, the fast lane from the front of the window's list and the slow
 * lane (reading through {@link KvLayerView#slowCopies()}) from the back, one at a time, until none
 * is left; so both lanes finish within a block of each other whatever each block takes. Which lane
 * reads a block never changes its bits. With two threads ({@link SparseAttention.Builder#threads}),
 * every block not pinned to the slow lane is shared, so the lane thread also reads fast-tier blocks
 * when the calling thread has not reached them: a step over fast pages only runs on two cores.
 *
 * <p>Ownership: allocates all its scratch in the constructor; {@link #read} does not allocate. The
 * lane thread starts on the first step that reads blocks of both tiers and stops in
 * {@link #close()} (or, if the reader is never closed, after it has become unreachable). Confined
 * to one caller thread at a time.
 */
final class LaneReader implements AutoCloseable {

    /** Pages per block: the unit of a partial state and of the lanes' work. */
    static final int BLOCK = 8;

    /** Fast-tier blocks a window needs before the lane thread is asked to share them. */
    static final int MIN_SHARED_FAST_BLOCKS = 4;

    /** Bytes of block states a reader keeps at most (its window), unless one block needs more. */
    static final long WINDOW_BYTES = 512L << 10;

    /** Stops the lane thread of a reader that was never closed once it is unreachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final DecodeKernel kernel;
    private final int queryHeads;
    private final boolean parallel;
    private final boolean shareAll; // every block is shared, the slow tier's at the back: two threads read
    private final int window; // blocks whose states are held at once
    private final AttentionState[] blockStates;
    private final AttentionState total;
    // Per position and head, for the page masses: the page's reference score and sum of
    // exp(score - reference), as its block state recorded them.
    private final float[] pageRef;
    private final float[] pageSum;
    private final int[] fastBlocks; // block indices (in the window) per lane
    private final int[] slowBlocks;
    private final boolean[] slowBlock; // per block of the window: read by the slow tier's lane
    private final boolean[] dual; // per position: the page has a copy in each tier
    private final Shared shared; // the window's shared blocks and the lanes' claims on them
    private final int[] scratch = new int[BLOCK];
    private int fastBlockCount;
    private int slowBlockCount;
    private int fastCount; // pages per tier
    private int slowCount;
    private long fastNanos;
    private long slowNanos;
    private double fastBlockNanos; // 0 until a lane's first measurement
    private double slowBlockNanos;
    private Lane lane;
    private Cleaner.Cleanable laneCleanable;

    LaneReader(DecodeKernel kernel, int queryHeads, int headDim, int maxPages, boolean parallel, boolean shareAll) {
        this.kernel = kernel;
        this.shareAll = shareAll;
        this.queryHeads = queryHeads;
        this.parallel = parallel;
        int maxBlocks = Math.ceilDiv(maxPages, BLOCK);
        long stateBytes = (long) queryHeads * (headDim + 2 + 2 * BLOCK) * Float.BYTES;
        this.window = (int) Math.max(1, Math.min(maxBlocks, WINDOW_BYTES / stateBytes));
        this.blockStates = new AttentionState[window];
        for (int i = 0; i < window; i++) {
            blockStates[i] = new AttentionState(queryHeads, headDim, BLOCK);
        }
        this.total = new AttentionState(queryHeads, headDim, 0);
        this.pageRef = new float[Math.multiplyExact(maxPages, queryHeads)];
        this.pageSum = new float[pageRef.length];
        this.fastBlocks = new int[window];
        this.slowBlock = new boolean[window];
        this.slowBlocks = new int[window];
        this.dual = new boolean[maxPages];
        this.shared = new Shared(window);
    }

    /** Blocks whose partial states are held at once. */
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
        fastNanos = 0;
        slowNanos = 0;
        boolean anyDual = false;
        int fastPagesRead = 0;
        for (int i = 0; i < count; i++) {
            boolean fast = layer.tier(pages[i]) == TierKind.FAST;
            tiers[i] = (byte) (fast ? 0 : 1);
            fastPagesRead += fast ? 1 : 0;
            dual[i] = fast && layer.hasSlowCopy(pages[i]);
            anyDual |= dual[i];
        }
        fastCount = fastPagesRead; // pages with two copies read by the slow lane move to the slow count
        slowCount = count - fastPagesRead;
        boolean sharing = parallel && anyDual; // the slow lane reads pages with two copies from the slow one
        int blocks = Math.ceilDiv(count, BLOCK);
        for (int from = 0; from < blocks; from += window) {
            int to = Math.min(blocks, from + window);
            fastBlockCount = 0;
            slowBlockCount = 0;
            int sharedCount = 0;
            int sharedFast = 0;
            int deferredSlow = 0; // with two threads: slow blocks shared too, after the others (see below)
            for (int b = from; b < to; b++) {
                slowBlock[b - from] = slowMajority(tiers, b, count);
                if (slowBlock[b - from] && shareAll) {
                    slowBlocks[deferredSlow++] = b - from;
                } else if (slowBlock[b - from]) {
                    slowBlocks[slowBlockCount++] = b - from;
                } else if (sharing && readableFromSlow(b, count, tiers)) {
                    shared.viaSlow[sharedCount] = true;
                    shared.blocks[sharedCount++] = b - from;
                } else if (shareAll) {
                    shared.viaSlow[sharedCount] = false;
                    shared.blocks[sharedCount++] = b - from;
                    sharedFast++;
                } else {
                    fastBlocks[fastBlockCount++] = b - from;
                }
            }
            // Two threads read every block of the window: the slow tier's blocks go at the back of
            // the shared list, where the slow lane takes first, so neither thread waits while the
            // other reads a tier alone (an unthrottled slow tier, or the fast lane done early). A
            // throttled slow tier serialises its readers, so a fast lane that reaches them only waits
            // there as it would have waited for the slow lane.
            for (int i = 0; i < deferredSlow; i++) {
                shared.viaSlow[sharedCount] = sharing;
                shared.blocks[sharedCount++] = slowBlocks[i];
                sharedFast++;
            }
            shared.reset(sharedCount);
            // Fast blocks alone are worth a second thread only when there are a few: handing them over
            // costs about a wake-up of the lane thread.
            boolean twoThreads = parallel && (slowBlockCount > 0 || sharing) || sharedFast >= MIN_SHARED_FAST_BLOCKS;
            if (twoThreads && slowBlockCount + sharedCount > 0 && fastBlockCount + sharedCount > 0
                    && slowBlockCount + fastBlockCount + sharedCount > 1) {
                readWindow(layer, q, pages, count, from);
                for (int b = from; b < to; b++) {
                    merge(blockStates[b - from], b, count);
                }
            } else {
                for (int i = 0; i < sharedCount; i++) {
                    fastBlocks[fastBlockCount++] = shared.blocks[i]; // read in order below, by the fast lane
                }
                shared.reset(0);
                readInOrder(layer, sharing ? layer.slowCopies() : layer, q, pages, count, from, to);
            }
            if (sharing) {
                for (int i = 0; i < slowBlockCount; i++) {
                    markReadSlow(from + slowBlocks[i], count, tiers);
                }
                for (int i = shared.slowFrom(); i < shared.count; i++) {
                    if (shared.viaSlow[i]) {
                        markReadSlow(from + shared.blocks[i], count, tiers);
                    }
                }
            }
        }
        total.finish(out);
        masses(count, mass);
    }

    /** Counts the pages with two copies of block {@code b}, which the slow lane read, as read from the slow tier. */
    private void markReadSlow(int b, int count, byte[] tiers) {
        int p0 = b * BLOCK;
        int p1 = Math.min(count, p0 + BLOCK);
        for (int p = p0; p < p1; p++) {
            if (dual[p] && tiers[p] == 0) {
                tiers[p] = 1;
                fastCount--;
                slowCount++;
            }
        }
    }

    /** Whether every page of block {@code b} has a slow copy or sits in the slow tier. */
    private boolean readableFromSlow(int b, int count, byte[] tiers) {
        int p0 = b * BLOCK;
        int p1 = Math.min(count, p0 + BLOCK);
        for (int p = p0; p < p1; p++) {
            if (!dual[p] && tiers[p] == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * One lane, or lanes one after the other (the slow lane's blocks through {@code slowView}): each
     * block is read and merged at once, in order, into
     * one reused partial state, which stays in the core's cache (the same arithmetic as the windowed
     * path, so the same bits).
     */
    private void readInOrder(KvLayerView layer, KvLayerView slowView, float[] q, int[] pages, int count, int from,
            int to) {
        AttentionState s = blockStates[0];
        long fast = 0;
        long slow = 0;
        long t = System.nanoTime();
        for (int b = from; b < to; b++) {
            readBlock(kernel, slowBlock[b - from] ? slowView : layer, q, pages, count, b, s, scratch);
            merge(s, b, count);
            long now = System.nanoTime();
            if (slowBlock[b - from]) {
                slow += now - t;
            } else {
                fast += now - t;
            }
            t = now;
        }
        account(fast, slow, fastBlockCount, slowBlockCount);
    }

    /** Whether most pages of block {@code b} sit in the slow tier (a tie goes to the fast lane). */
    private static boolean slowMajority(byte[] tiers, int b, int count) {
        int p0 = b * BLOCK;
        int p1 = Math.min(count, p0 + BLOCK);
        int slow = 0;
        for (int i = p0; i < p1; i++) {
            slow += tiers[i];
        }
        return 2 * slow > p1 - p0;
    }

    /** Both lanes at once: each reads its blocks of the window into their own partial states. */
    private void readWindow(KvLayerView layer, float[] q, int[] pages, int count, int from) {
        if (lane == null) {
            lane = new Lane(kernel, blockStates);
            laneCleanable = CLEANER.register(this, lane::stop);
            lane.thread.start();
        }
        // The lane expected to take longer runs on the calling thread, so that the lane thread's
        // wake-up delay falls on the shorter one (the expectation: each lane's recent time per block,
        // the shared blocks counted to the fast lane).
        boolean slowHere = slowBlockCount * Math.max(1, slowBlockNanos)
                > (fastBlockCount + shared.count) * Math.max(1, fastBlockNanos);
        long here;
        KvLayerView slowView = layer.slowCopies();
        int ticket = slowHere ? lane.post(layer, slowView, q, pages, count, from, fastBlocks, fastBlockCount, shared,
                false) : lane.post(layer, slowView, q, pages, count, from, slowBlocks, slowBlockCount, shared, true);
        try {
            here = slowHere
                    ? readBlocks(kernel, layer, slowView, q, pages, count, from, slowBlocks, slowBlockCount,
                            blockStates, scratch, shared, true)
                    : readBlocks(kernel, layer, slowView, q, pages, count, from, fastBlocks, fastBlockCount,
                            blockStates, scratch, shared, false);
        } catch (RuntimeException | Error e) {
            // Never return while the lane still reads pages: the caller's read lock ends then.
            try {
                lane.await(ticket);
            } catch (RuntimeException | Error other) {
                e.addSuppressed(other);
            }
            throw e;
        }
        long there = lane.await(ticket);
        account(slowHere ? there : here, slowHere ? here : there, fastBlockCount + shared.slowFrom(),
                slowBlockCount + shared.count - shared.slowFrom());
    }

    /** Adds a window's lane times and updates the expected time per block of each lane from the blocks each read. */
    private void account(long fast, long slow, int fastBlocksRead, int slowBlocksRead) {
        fastNanos += fast;
        slowNanos += slow;
        if (fastBlocksRead > 0) {
            double x = (double) fast / fastBlocksRead;
            fastBlockNanos = fastBlockNanos == 0 ? x : 0.75 * fastBlockNanos + 0.25 * x;
        }
        if (slowBlocksRead > 0) {
            double x = (double) slow / slowBlocksRead;
            slowBlockNanos = slowBlockNanos == 0 ? x : 0.75 * slowBlockNanos + 0.25 * x;
        }
    }

    /** Reads block {@code b} (positions {@code b*BLOCK ..}) into a fresh state {@code s}. */
    private static void readBlock(DecodeKernel kernel, KvLayerView layer, float[] q, int[] pages, int count, int b,
            AttentionState s, int[] scratch) {
        int p0 = b * BLOCK;
        int n = Math.min(count, p0 + BLOCK) - p0;
        System.arraycopy(pages, p0, scratch, 0, n);
        s.reset();
        kernel.attendPages(layer, q, scratch, 0, n, s);
    }

    /**
     * Reads the listed blocks of the window starting at block {@code from} (through {@code slowView}
     * if {@code back}, the slow lane, else through {@code layer}), then shared blocks as long as any is
     * left, from the back of their list if {@code back} (a block shared for its slow copies through
     * {@code slowView}) or from the front; returns the nanoseconds taken.
     */
    private static long readBlocks(DecodeKernel kernel, KvLayerView layer, KvLayerView slowView, float[] q,
            int[] pages, int count, int from, int[] blocks, int blockCount, AttentionState[] states, int[] scratch,
            Shared shared, boolean back) {
        long t0 = System.nanoTime();
        KvLayerView own = back ? slowView : layer;
        for (int i = 0; i < blockCount; i++) {
            int b = blocks[i];
            readBlock(kernel, own, q, pages, count, from + b, states[b], scratch);
        }
        for (int i = back ? shared.takeBack() : shared.takeFront(); i >= 0;
                i = back ? shared.takeBack() : shared.takeFront()) {
            int b = shared.blocks[i];
            readBlock(kernel, back && shared.viaSlow[i] ? slowView : layer, q, pages, count, from + b, states[b],
                    scratch);
        }
        return System.nanoTime() - t0;
    }

    /**
     * The shared blocks of a window (indices into it) and the two lanes' claims on them: the fast
     * lane takes from the front, the slow lane from the back, each claim one compare-and-set on both
     * ends packed in one {@code long}, so no block is read twice or left out.
     */
    private static final class Shared {
        final int[] blocks;
        final boolean[] viaSlow; // per entry: shared for its slow copies (else a fast block shared for a second thread)
        int count;
        private final AtomicLong ends = new AtomicLong(); // front << 32 | back (exclusive)

        Shared(int window) {
            this.blocks = new int[window];
            this.viaSlow = new boolean[window];
        }

        /** Starts a window with the first {@code n} entries of {@link #blocks} shared. */
        void reset(int n) {
            count = n;
            ends.set(n & 0xFFFF_FFFFL);
        }

        /** Claims the next block from the front; its index in {@link #blocks}, or -1 when none is left. */
        int takeFront() {
            while (true) {
                long e = ends.get();
                int f = (int) (e >>> 32);
                int b = (int) e;
                if (f >= b) {
                    return -1;
                }
                if (ends.compareAndSet(e, ((long) (f + 1) << 32) | (b & 0xFFFF_FFFFL))) {
                    return f;
                }
            }
        }

        /** Claims the next block from the back; its index in {@link #blocks}, or -1 when none is left. */
        int takeBack() {
            while (true) {
                long e = ends.get();
                int f = (int) (e >>> 32);
                int b = (int) e;
                if (f >= b) {
                    return -1;
                }
                if (ends.compareAndSet(e, ((long) f << 32) | ((b - 1) & 0xFFFF_FFFFL))) {
                    return b - 1;
                }
            }
        }

        /** After both lanes: the shared entries from here on were read by the slow lane. */
        int slowFrom() {
            return (int) ends.get();
        }
    }

    /** Merges the partial state of block {@code b} into the total and keeps its pages' records for their masses. */
    private void merge(AttentionState block, int b, int count) {
        total.merge(block);
        int p0 = b * BLOCK;
        int n = Math.min(count, p0 + BLOCK) - p0;
        System.arraycopy(block.pageRef(), 0, pageRef, p0 * queryHeads, n * queryHeads);
        System.arraycopy(block.pageSum(), 0, pageSum, p0 * queryHeads, n * queryHeads);
    }

    /**
     * Each page's mass: its sum times {@code exp(reference - final max) / final sum}, summed over
     * heads. Within a block the reference is the kernel's running maximum, which changes at few
     * pages, so most pages share one {@code exp}.
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
                mass[i] += pageSum[i * queryHeads + h] * factor;
            }
        }
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
     * The lane thread and its hand-off: it reads the blocks the caller posts. It holds no reference
     * to its reader, so that a reader that is never closed can still be collected, and then its
     * {@link Cleaner} stops the thread.
     */
    private static final class Lane implements Runnable {
        private final DecodeKernel kernel;
        private final AttentionState[] states;
        private final int[] scratch = new int[BLOCK];
        final Thread thread;
        // Plain fields published by the volatile write of 'posted' (to the lane) or 'done' (back).
        private KvLayerView layer;
        private float[] query;
        private int[] pages;
        private int count;
        private int from;
        private int[] blocks;
        private int blockCount;
        private Shared shared;
        private boolean back;
        private KvLayerView slowView;
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

        int post(KvLayerView layer, KvLayerView slowView, float[] q, int[] pages, int count, int from, int[] blocks,
                int blockCount, Shared shared, boolean back) {
            this.shared = shared;
            this.back = back;
            this.slowView = slowView;
            this.layer = layer;
            this.query = q;
            this.pages = pages;
            this.count = count;
            this.from = from;
            this.blocks = blocks;
            this.blockCount = blockCount;
            failure = null;
            waiter = Thread.currentThread();
            int ticket = posted + 1;
            posted = ticket;
            LockSupport.unpark(thread);
            return ticket;
        }

        /** Waits for step {@code ticket}, rethrows its failure, and returns the lane's nanoseconds. */
        long await(int ticket) {
            // Spin briefly (the lane often finishes within microseconds of the caller), then park so
            // that a throttled lane does not keep a core busy.
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
            blocks = null;
            shared = null;
            slowView = null;
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
                    nanos = readBlocks(kernel, layer, slowView, query, pages, count, from, blocks, blockCount, states,
                            scratch, shared, back);
                } catch (Throwable t) {
                    failure = t;
                }
                done = ticket;
                LockSupport.unpark(waiter);
            }
        }
    }
}
