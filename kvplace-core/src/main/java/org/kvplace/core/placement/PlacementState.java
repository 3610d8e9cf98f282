package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;

/**
 * A driver-side {@link Placement}: one fast-tier bit set per layer, the units created so far and
 * the fast bytes in use. It applies {@link MigrationPlan}s and checks every move and the
 * capacity, so no policy can overstep it. Allocates only in its constructor. Not thread-safe.
 */
public final class PlacementState implements Placement {

    private final int layers;
    private final int maxUnits;
    private final long unitBytes;
    private final long capacity;
    private final long[][] fast;
    private final int[] units;
    private long used;
    private int lastPromoted;
    private int lastDemoted;

    /**
     * An empty placement.
     *
     * @param layers    layers, at least 1
     * @param maxUnits  units one layer can hold
     * @param unitBytes bytes of one unit, at least 1
     * @param capacity  fast-tier bytes KV may use, at least 0
     * @throws IllegalArgumentException naming the bad value
     */
    public PlacementState(int layers, int maxUnits, long unitBytes, long capacity) {
        if (layers < 1 || maxUnits < 0 || unitBytes < 1 || capacity < 0) {
            throw new IllegalArgumentException("bad placement: layers=" + layers + " maxUnits=" + maxUnits
                    + " unitBytes=" + unitBytes + " capacity=" + capacity);
        }
        this.layers = layers;
        this.maxUnits = maxUnits;
        this.unitBytes = unitBytes;
        this.capacity = capacity;
        this.fast = new long[layers][Bits.words(maxUnits) + 1];
        this.units = new int[layers];
    }

    /** Empties every layer. */
    public void reset() {
        for (long[] f : fast) {
            Arrays.fill(f, 0L);
        }
        Arrays.fill(units, 0);
        used = 0;
    }

    /**
     * Creates the next unit of {@code layer} in the given tier.
     *
     * @throws IllegalArgumentException if {@code unit} is not the layer's next id or beyond maxUnits
     * @throws IllegalStateException if it goes to the fast tier and does not fit
     */
    public void create(int layer, int unit, boolean inFast) {
        checkLayer(layer);
        if (unit != units[layer] || unit >= maxUnits) {
            throw new IllegalArgumentException("layer " + layer + ": new unit " + unit + " but the next is "
                    + units[layer] + " (max " + maxUnits + ")");
        }
        if (inFast) {
            if (used + unitBytes > capacity) {
                throw new IllegalStateException("fast tier full: new unit " + unit + " of layer " + layer + " needs "
                        + unitBytes + " bytes, " + (capacity - used) + " free");
            }
            Bits.set(fast[layer], unit);
            used += unitBytes;
        }
        units[layer]++;
    }

    /**
     * Applies a plan: demotions, then promotions. All or nothing: on failure the state is as
     * before the call. A plan that would leave the fast tier over capacity is rejected, unless it
     * does not add to the fast tier's use (after {@link #force} left it over capacity). Moves are
     * applied a word of 64 units at a time where the plan holds them so.
     *
     * @throws IllegalStateException naming the first impossible move, or the overflow
     */
    public void apply(MigrationPlan plan) {
        int d = plan.demotions();
        int p = plan.promotions();
        long after = used + (p - (long) d) * unitBytes;
        if (after > capacity && p > d) {
            throw new IllegalStateException("fast tier over capacity after " + p + " promotions and " + d
                    + " demotions: " + after + " > " + capacity + " bytes");
        }
        MigrationPlan.Moves dm = plan.demotionMoves();
        int de = dm.entries();
        for (int e = 0; e < de; e++) {
            int l = dm.entryLayer(e);
            int w = dm.entryWord(e);
            long b = dm.entryBits(e);
            long have = l >= 0 && l < layers && w >= 0 && w < fast[l].length ? fast[l][w] : 0L;
            long missing = b & ~have;
            if (missing != 0) {
                undo(plan, e, 0);
                throw new IllegalStateException("demotion of unit " + ((w << 6) + Long.numberOfTrailingZeros(missing))
                        + " of layer " + l + " which is not in the fast tier");
            }
            fast[l][w] = have & ~b;
        }
        MigrationPlan.Moves pm = plan.promotionMoves();
        int pe = pm.entries();
        for (int e = 0; e < pe; e++) {
            int l = pm.entryLayer(e);
            int w = pm.entryWord(e);
            long b = pm.entryBits(e);
            if (l < 0 || l >= layers) {
                undo(plan, de, e);
                throw new IllegalStateException("promotion of unit " + ((w << 6) + Long.numberOfTrailingZeros(b))
                        + " of layer " + l + ": layer outside [0, " + layers + ")");
            }
            // units at or beyond units[l] (or negative) do not exist
            int n = units[l];
            int last = (n - 1) >> 6;
            long absent = w < 0 || w > last ? b : w < last || (n & 63) == 0 ? 0L : b & (-1L << n);
            long present = absent == b ? 0L : fast[l][w] & b;
            long bad = absent | present;
            if (bad != 0) {
                long first = bad & -bad;
                int u = (w << 6) + Long.numberOfTrailingZeros(first);
                undo(plan, de, e);
                String why = (absent & first) != 0 ? "it does not exist (" + units[l] + " units)"
                        : "it is already in the fast tier";
                throw new IllegalStateException("promotion of unit " + u + " of layer " + l + ": " + why);
            }
            fast[l][w] |= b;
        }
        used = after;
        lastPromoted = p;
        lastDemoted = d;
    }

    private void undo(MigrationPlan plan, int demotionEntriesDone, int promotionEntriesDone) {
        MigrationPlan.Moves pm = plan.promotionMoves();
        for (int e = promotionEntriesDone - 1; e >= 0; e--) {
            fast[pm.entryLayer(e)][pm.entryWord(e)] &= ~pm.entryBits(e);
        }
        MigrationPlan.Moves dm = plan.demotionMoves();
        for (int e = demotionEntriesDone - 1; e >= 0; e--) {
            fast[dm.entryLayer(e)][dm.entryWord(e)] |= dm.entryBits(e);
        }
    }

    /**
     * Records that an existing unit is in the given tier whatever was planned: for a live driver
     * whose move could not be carried out (the page was freed meanwhile, the tier was full), or
     * whose new page went to the other tier. Unlike {@link #apply} it may leave the fast tier over
     * capacity, which the caller reports; policies then see {@link #fastFreeBytes()} below zero
     * and must not promote.
     *
     * @throws IllegalArgumentException if the unit does not exist
     */
    public void force(int layer, int unit, boolean inFast) {
        checkLayer(layer);
        if (unit < 0 || unit >= units[layer]) {
            throw new IllegalArgumentException("layer " + layer + ": unit " + unit + " does not exist ("
                    + units[layer] + " units)");
        }
        if (Bits.get(fast[layer], unit) == inFast) {
            return;
        }
        if (inFast) {
            Bits.set(fast[layer], unit);
            used += unitBytes;
        } else {
            Bits.clear(fast[layer], unit);
            used -= unitBytes;
        }
    }

    /** Promotions applied by the last {@link #apply}. */
    public int lastPromoted() {
        return lastPromoted;
    }

    /** Demotions applied by the last {@link #apply}. */
    public int lastDemoted() {
        return lastDemoted;
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= layers) {
            throw new IllegalStateException("layer " + layer + " outside [0, " + layers + ")");
        }
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int maxUnits() {
        return maxUnits;
    }

    @Override
    public int units(int layer) {
        return units[layer];
    }

    @Override
    public long unitBytes() {
        return unitBytes;
    }

    @Override
    public boolean isFast(int layer, int unit) {
        return layer >= 0 && layer < layers && unit >= 0 && unit < maxUnits && Bits.get(fast[layer], unit);
    }

    @Override
    public long[] fastBits(int layer) {
        return fast[layer];
    }

    @Override
    public long fastCapacityBytes() {
        return capacity;
    }

    @Override
    public long fastUsedBytes() {
        return used;
    }
}
