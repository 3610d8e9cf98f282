package org.kvplace.core.placement;

import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceHeader;

/**
 * The paper's {@code reactive} baseline: promote on a miss, evict the least recently used.
 *
 * <p>Every unit read from the slow tier at a step is promoted after the step (the move is
 * charged to that step). Room comes from demoting the fast-tier units whose last read is
 * oldest, across all layers; a unit read at the current step is never evicted, so when every
 * fast unit was just read the remaining misses stay in the slow tier. New KV goes to the fast
 * tier, evicting the least recently used unit if needed (a new unit counts as just used).
 * Among units last used at the same step, the one touched first is evicted first.
 *
 * <p>State: the exact LRU order kept as groups of units touched together ({@code GroupLru}): a
 * step's hits are one group (one bit set, built word by word) and are cleared word by word from
 * the older groups of their layer, its promotions another, each new unit a group of one, the
 * prompt's units one group in (unit, layer) order. Eviction takes the lowest id of the oldest
 * group, so the order is the one an entry per touch would give, without a log of touches or
 * stale entries to skip. A step costs about one word operation per read word and per older
 * group of its layer, plus one operation per move. No allocation per step once the groups'
 * arenas have grown to the working size.
 * Placements of up to {@link TraceHeader#MAX_UNIT_LAYERS} unit-layers are supported;
 * {@link #start} rejects larger ones before allocating.
 */
public final class ReactivePolicy implements PlacementPolicy {

    private final GroupLru lru = new GroupLru();
    private int maxUnits;
    private int now;
    private long[] hits = new long[0];
    private long[] missed = new long[0];

    /** Creates the policy. */
    public ReactivePolicy() {}

    @Override
    public String name() {
        return "reactive";
    }

    @Override
    public void start(Placement placement) {
        long keys = (long) placement.layers() * placement.maxUnits();
        if (keys > TraceHeader.MAX_UNIT_LAYERS) {
            throw new IllegalArgumentException("reactive: " + placement.layers() + " layers x " + placement.maxUnits()
                    + " units = " + keys + " unit-layers exceeds the supported " + TraceHeader.MAX_UNIT_LAYERS
                    + " (TraceHeader.MAX_UNIT_LAYERS)");
        }
        if (hits.length < Bits.words(placement.maxUnits()) + 1) {
            hits = new long[Bits.words(placement.maxUnits()) + 1];
            missed = new long[hits.length];
        }
        maxUnits = placement.maxUnits();
        lru.start(placement.layers(), maxUnits);
        now = 1;
    }

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        long free = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        while (free < ub && evict(plan)) {
            free += ub;
        }
        if (free < ub) {
            return false;
        }
        lru.touchOne(layer, unit, now);
        return true;
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        now++;
        int layer = reads.layer();
        long[] r = reads.readBits();
        long[] f = placement.fastBits(layer);
        long[] h = hits;
        long[] m = missed;
        int words = Bits.words(reads.unitCount());
        int lo = -1;
        int hi = 0;
        int hc = 0;
        int mlo = -1;
        int nm = 0;
        for (int w = 0; w < words; w++) {
            long hit = r[w] & f[w];
            long miss = r[w] & ~f[w];
            h[w] = hit;
            m[w] = miss;
            if (hit != 0) {
                if (lo < 0) {
                    lo = w;
                }
                hi = w + 1;
                hc += Long.bitCount(hit);
            }
            if (miss != 0 && mlo < 0) {
                mlo = w;
            }
            nm += Long.bitCount(miss);
        }
        if (hc > 0) {
            lru.touchHits(layer, h, lo, hi, hc, now);
        }
        if (nm == 0) {
            return;
        }
        // The misses are promoted in ascending order while room lasts; each one that does not
        // fit first evicts the least recently used unit not read at this step.
        long room = Math.floorDiv(placement.fastFreeBytes(), placement.unitBytes());
        int evicted = room >= nm ? 0 : lru.evictInto(now, (int) Math.min(Integer.MAX_VALUE, nm - room), plan);
        int np = (int) Math.max(0, Math.min(nm, room + evicted));
        if (np == 0) {
            return;
        }
        int left = np;
        int w = mlo;
        while (true) {
            long x = m[w];
            int c = Long.bitCount(x);
            if (c >= left) {
                if (c > left) {
                    m[w] = Long.expand((1L << left) - 1, x); // the lowest left misses
                }
                plan.promoteWord(layer, w, m[w]);
                break;
            }
            plan.promoteWord(layer, w, x);
            left -= c;
            w++;
        }
        int mhi = w + 1;
        while (m[mlo] == 0) {
            mlo++;
        }
        lru.touchWords(layer, m, mlo, mhi, np, now);
    }

    @Override
    public void placementChanged(int layer, int unit, boolean fast) {
        lru.remove(layer, unit);
        if (fast) {
            lru.touchOne(layer, unit, now);
        }
    }

    // Demotes the least recently used unit unless it was used at this step.
    private boolean evict(MigrationPlan plan) {
        int unit = lru.evict(now);
        if (unit < 0) {
            return false;
        }
        plan.demote(lru.evictedLayer(), unit);
        return true;
    }
}
