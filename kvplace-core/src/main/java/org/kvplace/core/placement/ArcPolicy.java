package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * Adaptive replacement (ARC, Megiddo and Modha, FAST 2003), the replacement policy of
 * production KV offloading connectors, over all layers' units: the baseline an online policy
 * must beat.
 *
 * <p>The fast tier holds {@code T1} (units read once since they came in) and {@code T2} (read
 * again); the ghost lists {@code B1} and {@code B2} remember units recently evicted from each
 * (ids only, no data). Every unit a step reads from the slow tier is promoted after the step, as
 * in {@link ReactivePolicy}: into {@code T2} if a ghost list remembered it (a hit in {@code B1}
 * grows the target size {@code p} of {@code T1}, a hit in {@code B2} shrinks it), else into
 * {@code T1}. Room comes from the least recently used unit of {@code T1} when {@code |T1| > p},
 * else of {@code T2}; it moves to the ghost list of its side. A fast hit moves the unit to the
 * most recent end of {@code T2}. A unit read at the current step is never evicted (then the
 * other list is tried, and when neither has a victim the remaining misses stay slow). The cache
 * size {@code c} is the fast tier's room in units; the ghost lists keep {@code |T1| + |B1| <= c}
 * and the whole directory within {@code 2c}. New units enter {@code T1} like a miss.
 *
 * <p>State: four doubly linked lists threaded through one int array of four-int nodes indexed by
 * {@code layer * maxUnits + unit} (previous, next, last-use step, list: 16 bytes per unit). Per read: O(1). No
 * allocation per step. Not thread-safe.
 */
public final class ArcPolicy implements PlacementPolicy {

    private static final byte NONE = 0, T1 = 1, T2 = 2, B1 = 3, B2 = 4;

    // One node of four ints per key, {prev, next, stamp, list}: a list move touches one cache line
    // of the unit and one of each neighbour instead of one per array.
    private static final int PREV = 0, NEXT = 1, STAMP = 2, WHERE = 3;
    private int[] node = new int[0];
    private final int[] head = new int[5];   // least recently used end
    private final int[] tail = new int[5];   // most recently used end
    private final int[] size = new int[5];
    private int maxUnits;
    private double perUnit;                  // 1.0 / maxUnits, for a key's layer without a division
    private int c;
    private double target;                   // p: the target size of T1
    private int now;
    private int[] misses = new int[0];

    /** Creates the policy. */
    public ArcPolicy() {}

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
        if (keys > (Integer.MAX_VALUE - 8) / 4) {
            throw new IllegalArgumentException("too many units for ARC: " + keys + " (at most "
                    + (Integer.MAX_VALUE - 8) / 4 + ")");
        }
        if (node.length < 4 * keys) {
            node = new int[(int) (4 * keys)];
        }
        Arrays.fill(node, 0, (int) (4 * keys), 0); // NONE, stamp 0
        Arrays.fill(head, -1);
        Arrays.fill(tail, -1);
        Arrays.fill(size, 0);
        if (misses.length < placement.maxUnits()) {
            misses = new int[placement.maxUnits()];
        }
        maxUnits = placement.maxUnits();
        perUnit = 1.0 / Math.max(1, maxUnits);
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
        node[4 * k + STAMP] = now;
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
                node[4 * k + STAMP] = now;
                unlink(k);
                append(T2, k);
            }
            while (miss != 0) {
                misses[nm++] = (w << 6) + Long.numberOfTrailingZeros(miss);
                miss &= miss - 1;
            }
        }
        long free = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        for (int i = 0; i < nm; i++) {
            int k = base + misses[i];
            int in = node[4 * k + WHERE];
            if (in == B1) {
                target = Math.min(c, target + Math.max(1.0, (double) size[B2] / size[B1]));
            } else if (in == B2) {
                target = Math.max(0, target - Math.max(1.0, (double) size[B1] / size[B2]));
            }
            if (free < ub) {
                if (!replace(in == B2, plan)) {
                    break;
                }
                free += ub;
            }
            if (in == B1 || in == B2) {
                unlink(k);
                append(T2, k);
            } else {
                admitNew(k);
            }
            node[4 * k + STAMP] = now;
            plan.promote(layer, misses[i]);
            free -= ub;
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
        int in = node[4 * k + WHERE];
        if (fast && in != T1 && in != T2) {
            unlink(k);
            append(T1, k);
            node[4 * k + STAMP] = now;
        } else if (!fast && (in == T1 || in == T2)) {
            unlink(k);
            append(in == T1 ? B1 : B2, k);
        }
    }

    // A unit no ghost list remembers enters T1; the directory is trimmed as ARC prescribes.
    private void admitNew(int k) {
        if (node[4 * k + WHERE] == B1 || node[4 * k + WHERE] == B2) {
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
        if (k < 0 || node[4 * k + STAMP] >= now) {
            return false;
        }
        unlink(k);
        append(list == T1 ? B1 : B2, k);
        int layer = (int) (k * perUnit);
        if (layer * maxUnits > k) {
            layer--;
        } else if ((layer + 1) * maxUnits <= k) {
            layer++;
        }
        plan.demote(layer, k - layer * maxUnits);
        return true;
    }

    private void unlink(int k) {
        int[] n = node;
        int l = n[4 * k + WHERE];
        if (l == NONE) {
            return;
        }
        int pv = n[4 * k + PREV], nx = n[4 * k + NEXT];
        if (pv >= 0) {
            n[4 * pv + NEXT] = nx;
        } else {
            head[l] = nx;
        }
        if (nx >= 0) {
            n[4 * nx + PREV] = pv;
        } else {
            tail[l] = pv;
        }
        size[l]--;
        n[4 * k + WHERE] = NONE;
    }

    private void append(byte l, int k) {
        int[] n = node;
        int t = tail[l];
        n[4 * k + PREV] = t;
        n[4 * k + NEXT] = -1;
        if (t >= 0) {
            n[4 * t + NEXT] = k;
        } else {
            head[l] = k;
        }
        tail[l] = k;
        size[l]++;
        n[4 * k + WHERE] = l;
    }

    @Override
    public String toString() {
        return "arc";
    }
}
