package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * {@link OraclePolicy} in its first form (scores added read by read into a float array), for
 * {@code PolicyEquivalenceTest}.
 * The paper's clairvoyant policy: look ahead {@code Wn} decode tokens, promote the top fraction
 * {@code R} of the slow units that will be read, evict units that will not be read.
 *
 * <p>After a step of layer {@code l} at position {@code n}, each unit of layer {@code l} is scored
 * {@code sum 1/k} over the steps {@code (n+k, l)}, {@code k = 1..Wn}, that read it. Of the
 * slow-tier units with a positive score, the {@code ceil(R * count)} best are promoted (fewer
 * when room runs out: then the best that fit, found by quickselect). Room comes from demoting fast units of layer {@code l} that no step of the window
 * reads (lowest index first), only as much as the promotions need; when none is left the
 * remaining candidates stay slow. New units go to the fast tier while it has room; when it is
 * full, a new unit that the window reads displaces one unread unit of its layer, else it goes
 * to the slow tier. Future reads come from the driver's bounded look-ahead buffer. No
 * allocation per step after the first steps have sized the scratch buffers.
 */
final class ReferenceOraclePolicy implements PlacementPolicy {

    private final int window;
    private final double fraction;
    private long[] union = new long[0];
    private long[] keys = new long[0];
    private float[] score = new float[0];
    private final long[][] win;
    private final float[] inv;

    /**
     * An oracle with fixed parameters.
     *
     * @param window   look-ahead {@code Wn} in decode tokens, at least 1
     * @param fraction promotion fraction {@code R} in {@code (0, 1]}
     * @throws IllegalArgumentException naming the bad value
     */
    ReferenceOraclePolicy(int window, double fraction) {
        if (window < 1 || window > 4096) {
            throw new IllegalArgumentException("Wn must be in [1, 4096], got " + window);
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("R must be in (0, 1], got " + fraction);
        }
        this.window = window;
        this.fraction = fraction;
        this.win = new long[window + 1][];
        this.inv = new float[window + 1];
        for (int k = 1; k <= window; k++) {
            inv[k] = 1f / k;
        }
    }

    /** The look-ahead {@code Wn}. */
    public int window() {
        return window;
    }

    /** The promotion fraction {@code R}. */
    public double fraction() {
        return fraction;
    }

    @Override
    public String name() {
        return "oracle";
    }

    @Override
    public int lookahead() {
        return window;
    }

    @Override
    public void start(Placement placement) {
        int words = Bits.words(placement.maxUnits()) + 1;
        if (union.length < words) {
            union = new long[words];
        }
        if (keys.length < placement.maxUnits()) {
            keys = new long[placement.maxUnits()];
            score = new float[placement.maxUnits() + 64];
        }
    }

    // OR of the window's read sets of `layer` into `union`; returns the number of steps seen.
    private int unionOf(int layer, Lookahead future, int words) {
        Arrays.fill(union, 0, words, 0L);
        int seen = 0;
        for (int k = 1; k <= window; k++) {
            long[] r = future.futureReads(layer, k);
            if (r == null) {
                break;
            }
            win[k] = r;
            for (int w = 0; w < words; w++) {
                union[w] |= r[w];
            }
            seen++;
        }
        return seen;
    }

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        long ub = placement.unitBytes();
        if (placement.fastFreeBytes() >= ub) {
            return true;
        }
        int units = placement.units(layer);
        int words = Bits.words(unit + 1);
        if (unionOf(layer, future, words) == 0 || !Bits.get(union, unit)) {
            return false;
        }
        long[] f = placement.fastBits(layer);
        for (int w = 0; w < Bits.words(units); w++) {
            long cold = f[w] & ~union[w];
            if (cold != 0) {
                plan.demote(layer, (w << 6) + Long.numberOfTrailingZeros(cold));
                return true;
            }
        }
        return false;
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        int layer = reads.layer();
        int units = placement.units(layer);
        int words = Bits.words(units);
        int seen = unionOf(layer, future, words);
        if (seen == 0) {
            return;
        }
        long lastMask = (units & 63) == 0 ? -1L : (1L << units) - 1;
        long[] f = placement.fastBits(layer);
        // candidates: slow units read in the window, scored word by word, then keyed
        // (score bits << 32 | ~id) so that larger keys are better (ties: lower id)
        int nc = 0;
        int evictableCount = 0;
        for (int w = 0; w < words; w++) {
            long cand = union[w] & ~f[w];
            if (w == words - 1) {
                cand &= lastMask;
            }
            evictableCount += Long.bitCount(f[w] & ~union[w]);
            if (cand == 0) {
                continue;
            }
            for (int k = 1; k <= seen; k++) {
                long hit = win[k][w] & cand;
                while (hit != 0) {
                    score[(w << 6) + Long.numberOfTrailingZeros(hit)] += inv[k];
                    hit &= hit - 1;
                }
            }
            while (cand != 0) {
                int id = (w << 6) + Long.numberOfTrailingZeros(cand);
                cand &= cand - 1;
                keys[nc++] = ((long) Float.floatToIntBits(score[id]) << 32) | (~id & 0xFFFFFFFFL);
                score[id] = 0;
            }
        }
        if (nc == 0) {
            return;
        }
        long free = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        long room = free / ub + evictableCount;
        int take = (int) Math.min(room, (long) Math.ceil(fraction * nc - 1e-9));
        if (take <= 0) {
            return;
        }
        if (take < nc) {
            selectTop(keys, nc, take); // keys[nc - take, nc) now hold the best `take`
        }
        int evictWord = 0;
        long evictable = f[0] & ~union[0];
        for (int i = nc - take; i < nc; i++) {
            int id = ~(int) keys[i];
            while (free < ub) {
                while (evictable == 0 && ++evictWord < words) {
                    evictable = f[evictWord] & ~union[evictWord];
                }
                if (evictable == 0) {
                    return;
                }
                plan.demote(layer, (evictWord << 6) + Long.numberOfTrailingZeros(evictable));
                evictable &= evictable - 1;
                free += ub;
            }
            plan.promote(layer, id);
            free -= ub;
        }
    }

    // Quickselect: afterwards the `top` largest keys occupy a[n - top, n), in no particular order.
    static void selectTop(long[] a, int n, int top) {
        int target = n - top;
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long x = a[lo], y = a[mid], z = a[hi];
            long pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    @Override
    public String parameters() {
        return "(Wn=" + window + ", R=" + fraction + ")";
    }

    @Override
    public String toString() {
        return name() + parameters();
    }
}
