package org.kvplace.core.placement;

import java.util.Arrays;

/**
 * The paper's {@code reactive} baseline: promote on a miss, evict the least recently used.
 *
 * <p>Every unit read from the slow tier at a step is promoted after the step (the move is
 * charged to that step). Room comes from demoting the fast-tier units whose last read is
 * oldest, across all layers; a unit read at the current step is never evicted, so when every
 * fast unit was just read the remaining misses stay in the slow tier. New KV goes to the fast
 * tier, evicting the least recently used unit if needed (a new unit counts as just used).
 *
 * <p>State: an intrusive doubly-linked LRU list over {@code layer * maxUnits + unit} in two
 * {@code int[]}s plus a last-use stamp; O(1) per read, no allocation per step.
 */
public final class ReactivePolicy implements PlacementPolicy {

    private static final int NIL = -1;
    private int[] prev = new int[0];
    private int[] next = new int[0];
    private int[] stamp = new int[0];
    private int head = NIL;  // most recently used
    private int tail = NIL;  // least recently used
    private int maxUnits;
    private int now;
    private int[] misses = new int[0];

    /** Creates the policy. */
    public ReactivePolicy() {}

    @Override
    public String name() {
        return "reactive";
    }

    @Override
    public void start(Placement placement) {
        long keys = (long) placement.layers() * placement.maxUnits();
        if (keys >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many units for the LRU list: " + keys);
        }
        if (prev.length < keys) {
            prev = new int[(int) keys];
            next = new int[(int) keys];
            stamp = new int[(int) keys];
        }
        if (misses.length < placement.maxUnits()) {
            misses = new int[placement.maxUnits()];
        }
        Arrays.fill(stamp, 0, (int) keys, 0);
        maxUnits = placement.maxUnits();
        head = tail = NIL;
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
        pushHead(layer * maxUnits + unit);
        return true;
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        now++;
        int layer = reads.layer();
        int base = layer * maxUnits;
        long[] r = reads.readBits();
        long[] f = placement.fastBits(layer);
        int words = Bits.words(reads.unitCount());
        int nm = 0;
        for (int w = 0; w < words; w++) {
            long hit = r[w] & f[w];
            long miss = r[w] & ~f[w];
            while (hit != 0) {
                int id = (w << 6) + Long.numberOfTrailingZeros(hit);
                hit &= hit - 1;
                touch(base + id);
            }
            while (miss != 0) {
                misses[nm++] = (w << 6) + Long.numberOfTrailingZeros(miss);
                miss &= miss - 1;
            }
        }
        long free = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        for (int i = 0; i < nm; i++) {
            while (free < ub && evict(plan)) {
                free += ub;
            }
            if (free < ub) {
                break;
            }
            plan.promote(layer, misses[i]);
            pushHead(base + misses[i]);
            free -= ub;
        }
    }

    // Demotes the least recently used unit unless it was used at this step.
    private boolean evict(MigrationPlan plan) {
        int k = tail;
        if (k == NIL || stamp[k] >= now) {
            return false;
        }
        unlink(k);
        plan.demote(k / maxUnits, k % maxUnits);
        return true;
    }

    private void touch(int k) {
        if (stamp[k] == now) {
            return;
        }
        if (head != k) {
            unlink(k);
            pushHead(k);
        } else {
            stamp[k] = now;
        }
    }

    private void pushHead(int k) {
        prev[k] = NIL;
        next[k] = head;
        if (head != NIL) {
            prev[head] = k;
        }
        head = k;
        if (tail == NIL) {
            tail = k;
        }
        stamp[k] = now;
    }

    private void unlink(int k) {
        int p = prev[k];
        int n = next[k];
        if (p != NIL) {
            next[p] = n;
        } else {
            head = n;
        }
        if (n != NIL) {
            prev[n] = p;
        } else {
            tail = p;
        }
    }
}
