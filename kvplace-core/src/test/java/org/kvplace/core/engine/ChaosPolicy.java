package org.kvplace.core.engine;

import java.util.SplittableRandom;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.Placement;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.trace.StepReads;

/** Places new units at random and moves random units of the step's layer every step. */
final class ChaosPolicy implements PlacementPolicy {

    private final SplittableRandom rnd;
    private final int movesPerStep;

    ChaosPolicy(long seed, int movesPerStep) {
        this.rnd = new SplittableRandom(seed);
        this.movesPerStep = movesPerStep;
    }

    @Override
    public String name() {
        return "chaos";
    }

    @Override
    public void start(Placement placement) {}

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement p, MigrationPlan plan) {
        return rnd.nextBoolean() && p.fastFreeBytes() >= p.unitBytes();
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement p, MigrationPlan plan) {
        int layer = reads.layer();
        int units = p.units(layer);
        if (units == 0) {
            return;
        }
        long free = p.fastFreeBytes();
        int demoted = 0;
        for (int i = 0; i < movesPerStep; i++) {
            int u = rnd.nextInt(units);
            if (p.isFast(layer, u) && !planned(plan, layer, u)) {
                plan.demote(layer, u);
                free += p.unitBytes();
                demoted++;
            }
        }
        for (int i = 0; i < movesPerStep; i++) {
            int u = rnd.nextInt(units);
            if (!p.isFast(layer, u) && free >= p.unitBytes() && !planned(plan, layer, u)) {
                plan.promote(layer, u);
                free -= p.unitBytes();
            }
        }
    }

    private static boolean planned(MigrationPlan plan, int layer, int unit) {
        for (int i = 0; i < plan.demotions(); i++) {
            if (plan.demotedLayer(i) == layer && plan.demotedUnit(i) == unit) {
                return true;
            }
        }
        for (int i = 0; i < plan.promotions(); i++) {
            if (plan.promotedLayer(i) == layer && plan.promotedUnit(i) == unit) {
                return true;
            }
        }
        return false;
    }
}
