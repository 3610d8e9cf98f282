package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceHeader;

/**
 * The reactive policy as it was first written (an LRU log with one entry per touch): the
 * reference {@link ReactivePolicy} must match move for move.
 *
 * The paper's {@code reactive} baseline: promote on a miss, evict the least recently used.
 *
 * <p>Every unit read from the slow tier at a step is promoted after the step (the move is
 * charged to that step). Room comes from demoting the fast-tier units whose last read is
 * oldest, across all layers; a unit read at the current step is never evicted, so when every
 * fast unit was just read the remaining misses stay in the slow tier. New KV goes to the fast
 * tier, evicting the least recently used unit if needed (a new unit counts as just used).
 * Among units last used at the same step, the one touched first is evicted first.
 *
 * <p>State: exact LRU as an append-only log of {@code (unit, step)} touches plus each fast
 * unit's last-use step ({@code 0} = not in the fast tier); the oldest log entry whose step
 * still matches its unit's last use is the victim. A touch is two sequential writes; the log
 * is compacted in place when it fills, and grown when live entries fill a quarter of it, so it
 * stays within about four times the fast tier's unit count. No allocation per step once the log has grown to that size.
 * Placements of up to {@link TraceHeader#MAX_UNIT_LAYERS} unit-layers are supported (an int each:
 * 512 MiB at the limit); {@link #start} rejects larger ones before allocating.
 */
final class ReferenceReactivePolicy implements PlacementPolicy {

    private int[] stamp = new int[0];   // last-use step per key, 0 = not in the fast tier
    private int[] logKey = new int[1024];
    private int[] logStep = new int[1024];
    private int head;                    // oldest entry not yet consumed
    private int tail;                    // next free slot
    private int maxUnits;
    private int now;
    private int[] misses = new int[0];

    /** Creates the policy. */
    ReferenceReactivePolicy() {}

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
        if (stamp.length < keys) {
            stamp = new int[(int) keys];
        }
        Arrays.fill(stamp, 0, (int) keys, 0);
        if (misses.length < placement.maxUnits()) {
            misses = new int[placement.maxUnits()];
        }
        maxUnits = placement.maxUnits();
        head = tail = 0;
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
        touch(layer * maxUnits + unit);
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
                if (stamp[k] != now) {
                    touch(k);
                }
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
            touch(base + misses[i]);
            free -= ub;
        }
    }

    @Override
    public void placementChanged(int layer, int unit, boolean fast) {
        int k = layer * maxUnits + unit;
        if (fast) {
            // A unit corrected away and back within a step takes the most recent place: its
            // entries of this step (the log's last ones) would otherwise come back to life.
            for (int i = tail - 1; i >= head && logStep[i] == now; i--) {
                if (logKey[i] == k) {
                    logStep[i] = -1;
                }
            }
            touch(k);
        } else {
            stamp[k] = 0; // its log entry is stale now and is skipped
        }
    }

    private void touch(int k) {
        stamp[k] = now;
        if (tail == logKey.length) {
            makeRoom();
        }
        logKey[tail] = k;
        logStep[tail++] = now;
    }

    // Demotes the least recently used unit unless it was used at this step.
    private boolean evict(MigrationPlan plan) {
        while (head < tail) {
            int k = logKey[head];
            int s = logStep[head];
            if (stamp[k] != s) {
                head++;              // stale: touched again later, or already evicted
                continue;
            }
            if (s >= now) {
                return false;
            }
            head++;
            stamp[k] = 0;
            plan.demote(k / maxUnits, k % maxUnits);
            return true;
        }
        return false;
    }

    // Drops stale entries (keeping order); grows the log when live entries fill a quarter of it,
    // so that each compaction frees at least three quarters (amortised: under 1.5 reads per touch).
    private void makeRoom() {
        int out = 0;
        for (int i = head; i < tail; i++) {
            int k = logKey[i];
            if (stamp[k] == logStep[i]) {
                logKey[out] = k;
                logStep[out++] = logStep[i];
            }
        }
        head = 0;
        tail = out;
        if (tail > logKey.length / 4) {
            logKey = Arrays.copyOf(logKey, logKey.length * 2);
            logStep = Arrays.copyOf(logStep, logStep.length * 2);
        }
    }
}
