package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;

/**
 * The placement as first written (moves applied one by one through the plan's indexed
 * accessors): the reference that {@link PlacementState} must match, messages included.
 *
 * A driver-side {@link Placement}: one fast-tier bit set per layer, the units created so far and
 * the fast bytes in use. It applies {@link MigrationPlan}s and checks every move and the
 * capacity, so no policy can overstep it. Allocates only in its constructor. Not thread-safe.
 */
final class ReferencePlacementState implements Placement {

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
    ReferencePlacementState(int layers, int maxUnits, long unitBytes, long capacity) {
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
     * does not add to the fast tier's use (after {@link #force} left it over capacity).
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
        for (int i = 0; i < d; i++) {
            int l = plan.demotedLayer(i);
            int u = plan.demotedUnit(i);
            if (!isFast(l, u)) {
                undo(plan, i, 0);
                throw new IllegalStateException("demotion of unit " + u + " of layer " + l
                        + " which is not in the fast tier");
            }
            Bits.clear(fast[l], u);
        }
        for (int i = 0; i < p; i++) {
            int l = plan.promotedLayer(i);
            int u = plan.promotedUnit(i);
            String why = l < 0 || l >= layers ? "layer outside [0, " + layers + ")"
                    : u < 0 || u >= units[l] ? "it does not exist (" + units[l] + " units)"
                    : Bits.get(fast[l], u) ? "it is already in the fast tier" : null;
            if (why != null) {
                undo(plan, d, i);
                throw new IllegalStateException("promotion of unit " + u + " of layer " + l + ": " + why);
            }
            Bits.set(fast[l], u);
        }
        used = after;
        lastPromoted = p;
        lastDemoted = d;
    }

    private void undo(MigrationPlan plan, int demotionsDone, int promotionsDone) {
        for (int i = promotionsDone - 1; i >= 0; i--) {
            Bits.clear(fast[plan.promotedLayer(i)], plan.promotedUnit(i));
        }
        for (int i = demotionsDone - 1; i >= 0; i--) {
            Bits.set(fast[plan.demotedLayer(i)], plan.demotedUnit(i));
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
