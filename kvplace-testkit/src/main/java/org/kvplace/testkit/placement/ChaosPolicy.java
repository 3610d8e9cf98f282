package org.kvplace.testkit.placement;

import java.util.SplittableRandom;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.Placement;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.trace.StepReads;

/**
 * Places new units at random and moves random units of the step's layer every step, always within
 * the rules (room, legal moves, no unit twice in a plan): a policy that moves as much as possible,
 * to show that placement never changes a result. Deterministic for a seed.
 */
public final class ChaosPolicy implements PlacementPolicy {

    private final long seed;
    private final int movesPerStep;
    private SplittableRandom rnd;

    /**
     * A chaos policy.
     *
     * @param seed seed of its choices
     * @param movesPerStep demotions and promotions it tries per step
     */
    public ChaosPolicy(long seed, int movesPerStep) {
        this.seed = seed;
        this.rnd = new SplittableRandom(seed);
        this.movesPerStep = movesPerStep;
    }

    @Override
    public String name() {
        return "chaos";
    }

    @Override
    public void start(Placement placement) {
        rnd = new SplittableRandom(seed); // a new run makes the same choices
    }

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
