package org.kvplace.core.engine;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import jdk.jfr.EventType;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.memory.BandwidthThrottle;
import org.kvplace.core.memory.TierKind;

/**
 * The moves planned for one sequence, between its decode thread and the engine's migration worker:
 * a ring of planned moves (the decode thread produces, whoever holds the consumer lock carries them
 * out), a ring of the moves that failed (the carrier produces, the decode thread consumes to correct
 * the policy's view), the byte credit the steps grant, and the counts of what moved.
 *
 * <p>A move is packed in a {@code long}: layer in the high 32 bits, page index shifted left by two,
 * bit 1 set for a promotion of a page the step has just read from the slow tier (in an inclusive
 * cache its bytes are not carried over the link again), and the lowest bit set for a promotion.
 * Nothing here allocates once built.
 *
 * <p>Credit is spent on the bytes a move carries over the slow tier's link: a page for a promotion
 * or an exclusive cache's demotion; nothing for an inclusive cache's demotion (the fast copy is
 * dropped) or a promotion after a slow read.
 */
final class MoveQueue {

    private static final EventType MIGRATION_EVENT = EventType.getEventType(MigrationEvent.class);

    /** Receives a move that failed: where its page really is must be told to the policy. */
    interface FailedMoves {
        void failed(int layer, int page);
    }

    private final Sequence seq;
    private final TieredKvCache cache;
    private final long pageBytes;
    private final long[] moves;
    private final AtomicLong head = new AtomicLong(); // next to carry out
    private final AtomicLong tail = new AtomicLong(); // next to plan
    private final long[] failures;
    private final AtomicLong failuresHead = new AtomicLong();
    private final AtomicLong failuresTail = new AtomicLong();
    private final AtomicLong credit = new AtomicLong();
    // Taken by whoever carries out queued moves: the worker, or the decode thread when it must.
    private final ReentrantLock consumer = new ReentrantLock();
    private final AtomicLong promotions = new AtomicLong();
    private final AtomicLong demotions = new AtomicLong();
    private final AtomicLong bytesMigrated = new AtomicLong();
    private final AtomicLong linkPromotedBytes = new AtomicLong();
    private final AtomicLong afterReadPromotedBytes = new AtomicLong();
    private final boolean inclusive;
    private final AtomicLong failedMoves = new AtomicLong();
    private volatile boolean closed;

    MoveQueue(Sequence seq, int capacity) {
        this.seq = seq;
        this.cache = seq.cache();
        this.pageBytes = cache.layout().pageBytes();
        this.inclusive = cache.inclusive();
        this.moves = new long[capacity];
        this.failures = new long[capacity];
    }

    /**
     * Queues a move; returns {@code false} (and counts a failed move) when the ring is full, in which
     * case the caller sets the policy's view back.
     */
    boolean push(int layer, int page, boolean promote, boolean afterSlowRead) {
        long t = tail.get();
        if (t - head.get() >= moves.length) {
            failedMoves.incrementAndGet();
            return false;
        }
        moves[(int) (t % moves.length)] = encode(layer, page, promote, afterSlowRead);
        tail.set(t + 1);
        return true;
    }

    /** Hands every move that failed since the last call to {@code sink} (decode thread only). */
    void drainFailures(FailedMoves sink) {
        long h = failuresHead.get();
        long t = failuresTail.get();
        for (; h < t; h++) {
            long m = failures[(int) (h % failures.length)];
            sink.failed((int) (m >>> 32), (int) ((m & 0xFFFF_FFFFL) >>> 2));
        }
        failuresHead.set(h);
    }

    /**
     * Adds a step's grant to the credit; unused credit carries over up to one more grant.
     */
    void grant(long bytes) {
        long c = credit.get();
        long cap = bytes >= Long.MAX_VALUE / 4 ? Long.MAX_VALUE / 2 : 2 * bytes;
        credit.set(Math.min(cap, Math.max(c, 0) + bytes));
    }

    /**
     * Carries out up to {@code max} moves within the credit; the worker's entry. Its copies wait for
     * the slow link by parking ({@link BandwidthThrottle.Wait#YIELDING}), leaving the cores to the
     * decode threads and their lanes. Returns whether any was taken.
     */
    boolean runSome(int max, long sequenceId) {
        if (!consumer.tryLock()) {
            return false;
        }
        try {
            return run(max, false, sequenceId, BandwidthThrottle.Wait.YIELDING);
        } finally {
            consumer.unlock();
        }
    }

    /** Carries out every queued move on the calling thread (the decode thread). */
    void runAll(boolean ignoreCredit, long sequenceId) {
        consumer.lock();
        try {
            run(Integer.MAX_VALUE, ignoreCredit, sequenceId, BandwidthThrottle.Wait.PRECISE);
        } finally {
            consumer.unlock();
        }
    }

    private boolean run(int max, boolean ignoreCredit, long sequenceId, BandwidthThrottle.Wait wait) {
        long h = head.get();
        long t = tail.get();
        int done = 0;
        while (done < max && h < t) {
            if (closed) {
                head.set(t);
                return true;
            }
            long m = moves[(int) (h % moves.length)];
            if (!ignoreCredit && linkBytes(m) > 0 && credit.get() < linkBytes(m)) {
                break;
            }
            if (!carryOut(m, wait, sequenceId)) {
                long ft = failuresTail.get();
                if (ft - failuresHead.get() < failures.length) {
                    failures[(int) (ft % failures.length)] = m;
                    failuresTail.set(ft + 1);
                }
            }
            h++;
            head.set(h);
            done++;
        }
        return done > 0;
    }

    /**
     * Carries out a move that costs the slow link nothing (an inclusive cache's demotion, or its
     * promotion of a page the step has just read from the slow tier) at once, on the decode thread,
     * ahead of the queued moves; returns whether it was done (if not, the caller corrects the
     * policy's view).
     */
    boolean runNow(int layer, int page, boolean promote, boolean afterSlowRead, long sequenceId) {
        return carryOut(encode(layer, page, promote, afterSlowRead), BandwidthThrottle.Wait.PRECISE, sequenceId);
    }

    /** Whether a move costs the slow link nothing (see {@link #runNow}). */
    boolean isFree(boolean promote, boolean afterSlowRead) {
        return inclusive && (!promote || afterSlowRead);
    }

    private long encode(int layer, int page, boolean promote, boolean afterSlowRead) {
        return ((long) layer << 32) | ((long) page << 2) | (promote && afterSlowRead && inclusive ? 2L : 0L)
                | (promote ? 1L : 0L);
    }

    /** The bytes move {@code m} carries over the slow link. */
    private long linkBytes(long m) {
        boolean promote = (m & 1L) != 0;
        boolean afterRead = (m & 2L) != 0;
        return afterRead || (inclusive && !promote) ? 0 : pageBytes;
    }

    /** Carries out move {@code m} and counts it; returns whether it was done. */
    private boolean carryOut(long m, BandwidthThrottle.Wait wait, long sequenceId) {
        int layer = (int) (m >>> 32);
        int page = (int) ((m & 0xFFFF_FFFFL) >>> 2);
        boolean promote = (m & 1L) != 0;
        boolean afterRead = (m & 2L) != 0;
        long linkBytes = linkBytes(m);
        boolean ok;
        try {
            long handle = seq.pageHandle(layer, page);
            ok = afterRead ? cache.tryPromoteAfterRead(handle, wait)
                    : cache.tryMigrate(handle, promote ? TierKind.FAST : TierKind.SLOW, wait);
        } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
            ok = false; // freed meanwhile, already there, or the sequence closed
        }
        if (ok) {
            credit.addAndGet(-linkBytes);
            (promote ? promotions : demotions).incrementAndGet();
            if (promote || !inclusive) {
                bytesMigrated.addAndGet(pageBytes);
            }
            if (promote) {
                linkPromotedBytes.addAndGet(linkBytes);
                if (afterRead) {
                    afterReadPromotedBytes.addAndGet(pageBytes);
                }
            }
        } else {
            failedMoves.incrementAndGet();
        }
        if (MIGRATION_EVENT.isEnabled()) {
            MigrationEvent e = new MigrationEvent();
            e.sequence = (int) sequenceId;
            e.layer = layer;
            e.page = page;
            e.promotion = promote;
            e.done = ok;
            e.bytes = ok && (promote || !inclusive) ? pageBytes : 0;
            e.commit();
        }
        return ok;
    }

    /** Drops the moves not yet carried out; a carrier in progress stops after its current move. */
    void close() {
        closed = true;
    }

    /** Moves queued and not yet carried out. */
    long pending() {
        return Math.max(0, tail.get() - head.get());
    }

    long promotions() {
        return promotions.get();
    }

    long demotions() {
        return demotions.get();
    }

    /** Bytes copied by the moves carried out (an inclusive cache's demotions copy none). */
    long bytesMigrated() {
        return bytesMigrated.get();
    }

    /** Bytes copied into the fast tier by promotions after a slow read (which the link did not carry again). */
    long afterReadPromotedBytes() {
        return afterReadPromotedBytes.get();
    }

    /** Bytes of promotions that the slow tier's link carried (not those after a slow read). */
    long linkPromotedBytes() {
        return linkPromotedBytes.get();
    }

    long failedMoves() {
        return failedMoves.get();
    }
}
