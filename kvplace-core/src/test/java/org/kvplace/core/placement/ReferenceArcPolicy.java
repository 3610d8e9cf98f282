package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * The first form of {@link ArcPolicy}: its four lists as doubly linked lists threaded through int
 * arrays, one unlink and one append per touch, a step's victims one at a time.
 * {@code PolicyEquivalenceTest} holds the fast form to the same moves, in the same order.
 */
final class ReferenceArcPolicy implements PlacementPolicy {

    private static final byte NONE = 0, T1 = 1, T2 = 2, B1 = 3, B2 = 4;

    private int[] prev = new int[0];
    private int[] next = new int[0];
    private int[] stamp = new int[0];
    private byte[] where = new byte[0];
    private final int[] head = new int[5];   // least recently used end
    private final int[] tail = new int[5];   // most recently used end
    private final int[] size = new int[5];
    private int maxUnits;
    private int c;
    private double target;                   // p: the target size of T1
    private int now;
    private int[] misses = new int[0];

    /** Creates the first form. */
    ReferenceArcPolicy() {}

    @Override
    public String name() {
        return "arc";
    }

    @Override
    public void start(Placement placement) {
        long keys = (long) placement.layers() * placement.maxUnits();
        if (keys >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many units for ARC: " + keys);
        }
        if (prev.length < keys) {
            prev = new int[(int) keys];
            next = new int[(int) keys];
            stamp = new int[(int) keys];
            where = new byte[(int) keys];
        }
        Arrays.fill(where, 0, (int) keys, NONE);
        Arrays.fill(stamp, 0, (int) keys, 0);
        Arrays.fill(head, -1);
        Arrays.fill(tail, -1);
        Arrays.fill(size, 0);
        if (misses.length < placement.maxUnits()) {
            misses = new int[placement.maxUnits()];
        }
        maxUnits = placement.maxUnits();
        c = (int) Math.min(Integer.MAX_VALUE / 2, placement.fastCapacityBytes() / placement.unitBytes());
        target = 0;
        now = 1;
    }

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        int k = layer * maxUnits + unit;
        long free = placement.fastFreeBytes();
        // Below zero after a live driver's correction: one demotion per missing unit.
        while (free < placement.unitBytes()) {
            if (!replace(false, plan)) {
                return false;
            }
            free += placement.unitBytes();
        }
        admitNew(k);
        stamp[k] = now;
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
                int k = base + (w << 6) + Long.numberOfTrailingZeros(hit);
                hit &= hit - 1;
                stamp[k] = now;
                unlink(k);
                append(T2, k);
            }
            while (miss != 0) {
                misses[nm++] = (w << 6) + Long.numberOfTrailingZeros(miss);
                miss &= miss - 1;
            }
        }
        if (nm == 0) {
            return;
        }
        long free = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        int room = (int) Math.min(nm, free <= 0 ? 0 : free / ub);
        int evictable = 0;                  // units of T1 and T2 the step did not read
        for (byte l = T1; l <= T2; l++) {
            for (int k = head[l]; k >= 0 && stamp[k] < now; k = next[k]) {
                evictable++;
            }
        }
        int promoted = Math.min(nm, room + evictable);
        int up = 0, down = 0;
        for (int i = 0; i < promoted; i++) {
            byte in = where[base + misses[i]];
            up += in == B1 ? 1 : 0;
            down += in == B2 ? 1 : 0;
        }
        double p = target;
        if (up > 0) {
            p += up * Math.max(1.0, (double) size[B2] / size[B1]);
        }
        if (down > 0) {
            p -= down * Math.max(1.0, (double) size[B1] / size[B2]);
        }
        target = Math.max(0, Math.min(c, p));
        // victims one at a time, all before the misses enter: T1's while it is above p, else T2's
        for (int i = room; i < promoted; i++) {
            boolean fromT1 = size[T1] > target;
            if (!evictFrom(fromT1 ? T1 : T2, plan)) {
                evictFrom(fromT1 ? T2 : T1, plan);
            }
        }
        for (int i = 0; i < promoted; i++) {
            int k = base + misses[i];
            byte in = where[k];
            unlink(k);
            append(in == B1 || in == B2 ? T2 : T1, k);
            stamp[k] = now;
            plan.promote(layer, misses[i]);
        }
        while (size[T1] + size[B1] > c && size[B1] > 0) {
            unlink(head[B1]);
        }
        while (size[T1] + size[T2] + size[B1] + size[B2] > 2 * c && size[B2] > 0) {
            unlink(head[B2]);
        }
    }

    /**
     * A unit sits in another tier than planned (a live driver could not move it): a unit found in
     * the fast tier enters {@code T1} as just used; one found in the slow tier leaves {@code T1} or
     * {@code T2} for the ghost list of its side, as if evicted.
     */
    @Override
    public void placementChanged(int layer, int unit, boolean fast) {
        int k = layer * maxUnits + unit;
        byte in = where[k];
        if (fast && in != T1 && in != T2) {
            unlink(k);
            append(T1, k);
            stamp[k] = now;
        } else if (!fast && (in == T1 || in == T2)) {
            unlink(k);
            append(in == T1 ? B1 : B2, k);
        }
    }

    // A unit no ghost list remembers enters T1; the directory is trimmed as ARC prescribes.
    private void admitNew(int k) {
        if (where[k] == B1 || where[k] == B2) {
            unlink(k);
        }
        if (size[T1] + size[B1] >= c && size[B1] > 0) {
            unlink(head[B1]);
        } else if (size[T1] + size[T2] + size[B1] + size[B2] >= 2 * c && size[B2] > 0) {
            unlink(head[B2]);
        }
        append(T1, k);
    }

    // Evicts one fast unit (LRU of T1 or T2, as ARC chooses), not one read at this step.
    private boolean replace(boolean inB2, MigrationPlan plan) {
        boolean fromT1 = size[T1] > 0 && (size[T1] > target || (inB2 && size[T1] == (int) target));
        if (evictFrom(fromT1 ? T1 : T2, plan)) {
            return true;
        }
        return evictFrom(fromT1 ? T2 : T1, plan);
    }

    private boolean evictFrom(byte list, MigrationPlan plan) {
        int k = head[list];
        if (k < 0 || stamp[k] >= now) {
            return false;
        }
        unlink(k);
        append(list == T1 ? B1 : B2, k);
        plan.demote(k / maxUnits, k % maxUnits);
        return true;
    }

    private void unlink(int k) {
        byte l = where[k];
        if (l == NONE) {
            return;
        }
        int pv = prev[k], nx = next[k];
        if (pv >= 0) {
            next[pv] = nx;
        } else {
            head[l] = nx;
        }
        if (nx >= 0) {
            prev[nx] = pv;
        } else {
            tail[l] = pv;
        }
        size[l]--;
        where[k] = NONE;
    }

    private void append(byte l, int k) {
        prev[k] = tail[l];
        next[k] = -1;
        if (tail[l] >= 0) {
            next[tail[l]] = k;
        } else {
            head[l] = k;
        }
        tail[l] = k;
        size[l]++;
        where[k] = l;
    }

    @Override
    public String toString() {
        return "arc";
    }
}
