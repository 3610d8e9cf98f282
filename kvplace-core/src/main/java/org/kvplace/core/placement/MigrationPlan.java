package org.kvplace.core.placement;

import org.eclipse.collections.impl.list.mutable.primitive.IntArrayList;

/**
 * The moves a policy asks for at one step: promotions (slow to fast) and demotions (fast to
 * slow), each a {@code (layer, unit)} pair. The driver applies all demotions first, then all
 * promotions, and fails if a move is impossible (unit absent, already in that tier) or if the
 * fast tier would overflow. A plan is a reusable buffer: the driver clears it before each call.
 * Not thread-safe.
 */
public final class MigrationPlan {

    private final IntArrayList promoteLayer = new IntArrayList(256);
    private final IntArrayList promoteUnit = new IntArrayList(256);
    private final IntArrayList demoteLayer = new IntArrayList(256);
    private final IntArrayList demoteUnit = new IntArrayList(256);

    /** Creates an empty plan. */
    public MigrationPlan() {}

    /** Asks to move a unit from the slow to the fast tier. */
    public void promote(int layer, int unit) {
        promoteLayer.add(layer);
        promoteUnit.add(unit);
    }

    /** Asks to move a unit from the fast to the slow tier. */
    public void demote(int layer, int unit) {
        demoteLayer.add(layer);
        demoteUnit.add(unit);
    }

    /** Number of promotions. */
    public int promotions() {
        return promoteUnit.size();
    }

    /** Number of demotions. */
    public int demotions() {
        return demoteUnit.size();
    }

    /** Layer of promotion {@code i}. */
    public int promotedLayer(int i) {
        return promoteLayer.get(i);
    }

    /** Unit id of promotion {@code i}. */
    public int promotedUnit(int i) {
        return promoteUnit.get(i);
    }

    /** Layer of demotion {@code i}. */
    public int demotedLayer(int i) {
        return demoteLayer.get(i);
    }

    /** Unit id of demotion {@code i}. */
    public int demotedUnit(int i) {
        return demoteUnit.get(i);
    }

    /** Whether the plan asks for nothing. */
    public boolean isEmpty() {
        return promoteUnit.isEmpty() && demoteUnit.isEmpty();
    }

    /** Empties the plan, keeping its buffers. */
    public void clear() {
        promoteLayer.clear();
        promoteUnit.clear();
        demoteLayer.clear();
        demoteUnit.clear();
    }

    @Override
    public String toString() {
        return "MigrationPlan[promotions=" + promotions() + ", demotions=" + demotions() + "]";
    }
}
