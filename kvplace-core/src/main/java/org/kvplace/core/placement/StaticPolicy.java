package org.kvplace.core.placement;

import org.kvplace.core.trace.StepReads;

/**
 * The paper's {@code static} baseline: new KV fills the fast tier in creation order, then spills
 * to the slow tier; nothing ever migrates. Stateless; one instance may serve runs in turn.
 */
public final class StaticPolicy implements PlacementPolicy {

    /** Creates the policy. */
    public StaticPolicy() {}

    @Override
    public String name() {
        return "static";
    }

    @Override
    public void start(Placement placement) {
        // no state
    }

    /** Fast while it fits, else slow. */
    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        return placement.fastFreeBytes() >= placement.unitBytes();
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        // no migration
    }
}
