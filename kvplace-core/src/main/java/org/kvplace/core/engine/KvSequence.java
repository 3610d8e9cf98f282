package org.kvplace.core.engine;

import jdk.jfr.EventType;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.PlacementProtocol;
import org.kvplace.core.trace.Bits;

/**
 * One sequence decoded through the placement engine: {@link #append}, {@link #attend} and
 * {@link #endStep} per decode token, as an inference engine's loop calls them.
 *
 * <p>What the engine does on each call: a new page goes to the tier the policy's
 * {@code placeNew} chooses (the other tier if that one is full); after each {@code attend} the
 * pages read and their attention masses go to the policy, whose planned moves are queued for the
 * engine's migration worker, which copies them while the next steps attend, within the byte
 * budget that {@code endStep} grants each step. A page is never half moved: the cache flips a page
 * only after its copy is complete, under the sequence's write lock. A move that cannot be carried
 * out (the target tier full, the page freed, the queue full) is counted in
 * {@link EngineStats#failedMoves()} and the policy's view is set back to where the page is.
 *
 * <p>On an {@linkplain TieredKvCache#inclusive() inclusive} cache a demotion drops the page's fast
 * copy (nothing crosses the link, no budget is spent), and a promotion of a page that the attend
 * just read from the slow tier is charged as the fast copy's write only: the read that fetched the
 * page fills its fast slot ({@link TieredKvCache#tryPromoteAfterRead}). These moves, which cost
 * the link nothing, are carried out at once on the decode thread when the plan is queued (a page
 * copy at most), ahead of the queued moves that wait for budget. Other promotions read the page
 * over the link, within the budget, on the worker.
 *
 * <p>Threading: one decode thread per sequence ({@code append}, {@code attend} and {@code endStep}
 * are not thread-safe among themselves); different sequences run on different threads at once.
 * The migration worker is the engine's own thread. Nothing is allocated per call once warm,
 * except JFR events while a recording has them enabled.
 *
 * <p>Reads ({@link #sequence()}'s {@code readKey}, {@code readValue}) go to the underlying
 * {@link Sequence}. {@link #close()} returns the sequence's pages and its share of the fast tier.
 */
public final class KvSequence implements AutoCloseable {

    private static final EventType STEP_EVENT = EventType.getEventType(StepEvent.class);

    private final KvPlace engine;
    private final Sequence seq;
    private final TieredKvCache cache;
    private final SparseAttention attention;
    private final PlacementProtocol protocol;
    private final LiveStepReads reads;
    private final int layers;
    private final int kvWidth;
    private final int maxTokens;
    private final int pageTokens;
    private final long pageBytes;
    private final boolean inclusive;

    private final MoveQueue queue;
    private final MoveQueue.FailedMoves correctFailed = this::correctFailed;

    // Decode thread only.
    private long steps;
    private long bytesFast;
    private long bytesSlow;
    private long newFast;
    private long newSlow;
    private long fallbacks;
    private long stepNanos;
    private long modelledNanos;
    private long fastLaneNanos;
    private long attentionNanos;
    private long engineNanos;
    private long decodeMoveNanos;
    private long stepModelled;
    private long afterReadAtLastAttend;
    private long promotedBytesAtLastStep;
    private long stepBytesFast;
    private long stepBytesSlow;
    private long stepSlowLaneNanos;
    private long migratedAtLastStep;
    private long lastEnd;
    // Pages of the layer last attended that the attend read from the slow tier (bits), for an
    // inclusive cache's promotions after a slow read; cleared after its plan is queued.
    private final long[] readSlow;
    private int readSlowLayer = -1;

    private volatile boolean closed;

    KvSequence(KvPlace engine, Sequence seq, SparseAttention attention, PlacementProtocol protocol) {
        this.engine = engine;
        this.seq = seq;
        this.cache = seq.cache();
        this.attention = attention;
        this.protocol = protocol;
        ModelShape shape = cache.shape();
        this.layers = shape.layers();
        this.kvWidth = shape.kvWidth();
        this.maxTokens = shape.maxTokens();
        this.pageTokens = cache.layout().pageTokens();
        this.pageBytes = cache.layout().pageBytes();
        this.inclusive = cache.inclusive();
        int pages = cache.pagesPerLayer();
        this.reads = new LiveStepReads(pages);
        this.readSlow = new long[Bits.words(pages)];
        // Room for four plans' worth of moves of every page, within 64K moves (512 KiB).
        int capacity = (int) Math.min(1 << 16, Math.max(1024L, 4L * layers * pages));
        this.queue = new MoveQueue(seq, capacity);
        this.lastEnd = System.nanoTime();
    }

    /** The underlying cache sequence (reads, page handles, token counts). */
    public Sequence sequence() {
        return seq;
    }

    /** The sequence's id in its cache. */
    public int id() {
        return seq.id();
    }

    /** The policy's name. */
    public String policyName() {
        return protocol.policy().name();
    }

    /**
     * Appends one token's key and value of one layer; a new page goes where the policy says.
     *
     * @param layer layer index in {@code [0, layers)}
     * @param k key, {@code kvHeads * headDim} finite floats of magnitude at most
     *     {@link Sequence#MAX_ABS_VALUE}
     * @param v value, same length
     * @throws IllegalArgumentException on a bad layer, length or value (nothing changes)
     * @throws IllegalStateException if the layer is full or the sequence or engine is closed
     * @throws org.kvplace.core.cache.TierFullException if both tiers are full
     */
    public void append(int layer, float[] k, float[] v) {
        ensureOpen();
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " outside [0, " + layers + ") in sequence " + id());
        }
        checkFinite("k", k, layer);
        checkFinite("v", v, layer);
        int t = seq.tokens(layer);
        if (t % pageTokens != 0 || t >= maxTokens) {
            seq.append(layer, k, v, TierKind.FAST);
            return;
        }
        int unit = t / pageTokens;
        boolean fast;
        if (protocol.state().units(layer) == unit) {
            long t0 = System.nanoTime();
            drainFailures();
            fast = protocol.placeNew(layer, unit, Lookahead.NONE);
            enqueue(protocol.plan());
            engineNanos += System.nanoTime() - t0;
        } else {
            // An earlier append of this page was rejected by the cache after the policy placed it.
            fast = protocol.state().isFast(layer, unit);
        }
        if (fast && cache.freePages(TierKind.FAST) == 0) {
            // The worker lags behind the plan: carry out this sequence's queued moves (the
            // demotions that make room come first) before the page is placed.
            long m0 = System.nanoTime();
            queue.runAll(true, id());
            decodeMoveNanos += System.nanoTime() - m0;
            drainFailures();
        }
        seq.append(layer, k, v, fast ? TierKind.FAST : TierKind.SLOW);
        boolean actual = cache.tierOf(seq.pageHandle(layer, unit)) == TierKind.FAST;
        if (actual != fast) {
            protocol.correct(layer, unit, actual);
            fallbacks++;
        }
        if (actual) {
            newFast++;
        } else {
            newSlow++;
        }
    }

    private void checkFinite(String what, float[] x, int layer) {
        if (x == null || x.length != kvWidth) {
            throw new IllegalArgumentException(what + " length " + (x == null ? "null" : x.length) + " must be "
                    + kvWidth + " (layer " + layer + " of sequence " + id() + ")");
        }
        for (int i = 0; i < x.length; i++) {
            if (!(Math.abs(x[i]) <= Sequence.MAX_ABS_VALUE)) { // the cache's own bound, checked before the policy
                throw new IllegalArgumentException(what + "[" + i + "]=" + x[i] + (Float.isFinite(x[i])
                        ? " exceeds the largest magnitude accepted, " + Sequence.MAX_ABS_VALUE + " (2^32)"
                        : " is not finite") + " (layer " + layer + " of sequence " + id() + ")");
            }
        }
    }

    /**
     * Attention of {@code q} over the layer's cache (sparse within the engine's token budget, or
     * dense), both tiers read at once; then the policy sees the pages read and their masses.
     *
     * @param layer layer index
     * @param q query, {@code queryHeads * headDim} floats
     * @param out receives the output, same length
     * @throws IllegalArgumentException on bad lengths or an empty layer
     * @throws IllegalStateException if the sequence or engine is closed, or the policy planned an
     *     impossible move (the message names the policy and the unit; nothing of it is applied)
     */
    public void attend(int layer, float[] q, float[] out) {
        ensureOpen();
        long t0 = System.nanoTime();
        seq.attend(layer, q, out, attention);
        afterAttend(layer, t0);
    }

    /**
     * Attention of {@code q} over the given pages only, both tiers read at once, then the policy
     * sees them as {@link #attend} does: for a driver that knows each step's read set (a trace
     * replayed on the live cache).
     *
     * @param pages page indices of the layer, strictly increasing
     * @param count how many of {@code pages} to read, at least 1
     * @throws IllegalArgumentException on bad lengths, or a page index out of range or out of order
     * @throws IllegalStateException as {@link #attend}
     */
    public void attendPages(int layer, float[] q, float[] out, int[] pages, int count) {
        ensureOpen();
        long t0 = System.nanoTime();
        seq.attend(layer, q, out, attention, pages, count);
        afterAttend(layer, t0);
    }

    /** Hands the step's reads to the policy and queues its plan; {@code t0}: when the attention began. */
    private void afterAttend(int layer, long t0) {
        long t1 = System.nanoTime();
        attentionNanos += t1 - t0;
        int pages = seq.pageCount(layer);
        reads.fill(seq.tokens(layer) - 1, layer, pages, attention);
        long f = attention.fastLanePages() * pageBytes;
        long sl = attention.slowLanePages() * pageBytes;
        // The rate of the lanes before this attend: a step is not modelled by its own measurement.
        double fastRate = engine.model().fastRate(bytesFast + stepBytesFast, fastLaneNanos);
        stepBytesFast += f;
        stepBytesSlow += sl;
        stepSlowLaneNanos += attention.slowLaneNanos();
        fastLaneNanos += attention.fastLaneNanos();
        stepModelled += engine.model().layerNanos(f, sl, fastRate);
        drainFailures();
        protocol.afterReads(reads, Lookahead.NONE);
        boolean marked = sl > 0 && inclusive;
        if (marked) {
            markSlowReads(layer);
        }
        enqueue(protocol.plan());
        if (marked) {
            clearSlowReads();
        }
        if (inclusive) {
            // The moves that cost the link nothing ran just now, serially on this thread: their fast
            // copies are charged at the fast tier's rate, after the lanes.
            long copied = queue.afterReadPromotedBytes();
            stepModelled += engine.model().fastNanos(copied - afterReadAtLastAttend, fastRate);
            afterReadAtLastAttend = copied;
        }
        engineNanos += System.nanoTime() - t1;
    }

    /** Pages the last {@code attend} read. */
    public int lastReadCount() {
        return attention.selectedCount();
    }

    /** The {@code i}-th page the last {@code attend} read, in increasing order. */
    public int lastReadPage(int i) {
        return attention.selectedPage(i);
    }

    /**
     * The attention mass of the {@code i}-th page the last {@code attend} read: the sum over query
     * heads of the probability given to its tokens ({@link SparseAttention#pageMass}).
     */
    public float lastReadMass(int i) {
        return attention.pageMass(i);
    }

    /** Page bounds the last {@code attend} scored to select its pages (0 for dense attention). */
    public int lastScoredPages() {
        return attention.scoredPages();
    }

    /**
     * Ends a decode step (one token, all layers): grants the migration worker this step's byte
     * budget, and records the step ({@link #stats()}, JFR event {@code kvplace.Step}).
     *
     * @throws IllegalStateException if the sequence or engine is closed
     */
    public void endStep() {
        ensureOpen();
        long now = System.nanoTime();
        long measured = now - lastEnd;
        lastEnd = now;
        long grant = engine.model().migrationBudget(measured, stepSlowLaneNanos);
        queue.grant(grant);
        steps++;
        stepNanos += measured;
        engine.recordStep(measured);
        bytesFast += stepBytesFast;
        bytesSlow += stepBytesSlow;
        long migrated = queue.bytesMigrated();
        long promoted = queue.linkPromotedBytes();
        stepModelled += engine.model().migrationNanos(promoted - promotedBytesAtLastStep);
        promotedBytesAtLastStep = promoted;
        modelledNanos += stepModelled;
        if (STEP_EVENT.isEnabled()) {
            StepEvent e = new StepEvent();
            e.sequence = id();
            e.position = seq.tokens(0) - 1;
            e.bytesFast = stepBytesFast;
            e.bytesSlow = stepBytesSlow;
            e.bytesMigrated = migrated - migratedAtLastStep;
            e.measuredNanos = measured;
            e.modelledNanos = stepModelled;
            e.commit();
        }
        migratedAtLastStep = migrated;
        stepBytesFast = 0;
        stepBytesSlow = 0;
        stepSlowLaneNanos = 0;
        stepModelled = 0;
        engineNanos += System.nanoTime() - now;
        if (engine.synchronous()) {
            long m0 = System.nanoTime();
            queue.runAll(false, id());
            decodeMoveNanos += System.nanoTime() - m0;
        } else if (queue.pending() > 0) {
            engine.wakeWorker(); // the new grant may let it carry out moves that waited for credit
        }
    }

    /** This sequence's totals so far. Call from the decode thread for exact read counts. */
    public EngineStats stats() {
        return new EngineStats(steps, bytesFast, bytesSlow, queue.promotions(), queue.demotions(), queue.bytesMigrated(),
                queue.failedMoves(), queue.pending(), newFast, newSlow, fallbacks,
                stepNanos, modelledNanos, fastLaneNanos, attentionNanos, engineNanos, decodeMoveNanos);
    }

    /** Whether {@link #close()} has been called (or the engine closed). */
    public boolean isClosed() {
        return closed || seq.isClosed();
    }

    /**
     * Drops the moves not yet carried out, frees the sequence's pages and returns its share of
     * the fast tier to the engine. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.close();
        engine.closed(this);
        seq.close(); // waits for a migration of this sequence in progress (it holds the lock)
        attention.close();
    }

    /** Closes on behalf of the engine, which has stopped its worker already. */
    void closeForEngine() {
        if (closed) {
            return;
        }
        closed = true;
        queue.close();
        seq.close();
        attention.close();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("sequence " + id() + " is closed");
        }
        engine.ensureOpen();
    }

    // ---- the queue between the decode thread and the migration worker ----

    /** Marks the pages the last attend (of {@code layer}) read from the slow tier. */
    private void markSlowReads(int layer) {
        readSlowLayer = layer;
        for (int i = 0, n = attention.selectedCount(); i < n; i++) {
            if (attention.pageTier(i) == TierKind.SLOW) {
                Bits.set(readSlow, attention.selectedPage(i));
            }
        }
    }

    private void clearSlowReads() {
        for (int i = 0, n = attention.selectedCount(); i < n; i++) {
            int p = attention.selectedPage(i);
            readSlow[p >>> 6] = 0L;
        }
        readSlowLayer = -1;
    }

    private void enqueue(MigrationPlan plan) {
        boolean queued = false;
        for (int i = 0; i < plan.demotions(); i++) {
            queued |= push(plan.demotedLayer(i), plan.demotedUnit(i), false);
        }
        for (int i = 0; i < plan.promotions(); i++) {
            queued |= push(plan.promotedLayer(i), plan.promotedUnit(i), true);
        }
        if (queued) {
            engine.wakeWorker();
        }
    }

    /** Carries out or queues one move; returns whether it went to the worker's queue. */
    private boolean push(int layer, int page, boolean promote) {
        boolean afterSlowRead = promote && layer == readSlowLayer && Bits.get(readSlow, page);
        if (queue.isFree(promote, afterSlowRead) && !engine.synchronous()) {
            // Costs the link nothing: done now, on this thread, not behind moves that wait for budget.
            long m0 = System.nanoTime();
            boolean ok = queue.runNow(layer, page, promote, afterSlowRead, id());
            long took = System.nanoTime() - m0;
            decodeMoveNanos += took;
            engineNanos -= took; // counted apart from the engine's own work, whose window this is in
            if (!ok) {
                correctFailed(layer, page);
            }
            return false;
        } else if (!queue.push(layer, page, promote, afterSlowRead)) {
            protocol.correct(layer, page, !promote);
            return false;
        }
        return true;
    }

    /** Sets the policy's view of every page whose move failed back to the page's real tier. */
    private void drainFailures() {
        queue.drainFailures(correctFailed);
    }

    private void correctFailed(int layer, int page) {
        if (page < protocol.state().units(layer) && page < seq.pageCount(layer)) {
            boolean fast = cache.tierOf(seq.pageHandle(layer, page)) == TierKind.FAST;
            protocol.correct(layer, page, fast);
        }
    }

    /**
     * Carries out up to {@code max} queued moves within the credit left; called by the migration
     * worker only.
     *
     * @return whether any move was taken
     */
    boolean runMoves(int max) {
        return queue.runSome(max, id());
    }

    @Override
    public String toString() {
        return "KvSequence[id=" + id() + ", policy=" + policyName() + ", " + stats() + "]";
    }
}
