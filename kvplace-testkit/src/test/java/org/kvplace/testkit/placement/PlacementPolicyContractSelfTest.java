package org.kvplace.testkit.placement;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.Placement;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.GeneratorConfig;
import org.opentest4j.AssertionFailedError;

/** The placement contract can fail: policies that break one rule do not pass it. */
class PlacementPolicyContractSelfTest {

    private static final PolicyScenario SCENARIO = PolicyScenario.generated(
            new GeneratorConfig(20, 30, 2, 1, 0.5, 1, 1, 0.3, 0.2, 1), 8, 0);

    /** Promotes every read unit it believes slow, without looking at the room. */
    private static final class Greedy implements PlacementPolicy {
        @Override
        public String name() {
            return "greedy";
        }

        @Override
        public void start(Placement placement) {}

        @Override
        public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
            return false;
        }

        @Override
        public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
            for (int u = 0; u < reads.unitCount(); u++) {
                if (!placement.isFast(reads.layer(), u)) {
                    plan.promote(reads.layer(), u);
                }
            }
        }
    }

    /** Reads two tokens ahead while declaring one. */
    private static final class Peeker implements PlacementPolicy {
        @Override
        public String name() {
            return "peeker";
        }

        @Override
        public int lookahead() {
            return 1;
        }

        @Override
        public void start(Placement placement) {}

        @Override
        public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
            return false;
        }

        @Override
        public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
            future.futureReads(reads.layer(), 2);
        }
    }

    @Test
    void shouldFailAPolicyThatOverfillsTheFastTier() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ProtocolRun.simulate(SCENARIO, new Greedy()));
        assertTrue(e.getMessage().contains("over capacity"), e.getMessage());
    }

    @Test
    void shouldFailAPolicyThatReadsBeyondItsLookahead() {
        assertThrows(AssertionFailedError.class, () -> ProtocolRun.simulate(SCENARIO, new Peeker()));
    }

    @Test
    void shouldFailAPolicyWhoseRunsDiffer() {
        PlacementPolicyContract contract = new PlacementPolicyContract() {
            private long seed;

            @Override
            protected PlacementPolicy newPolicy(PolicyScenario scenario) {
                return new ChaosPolicy(seed++, 2); // another seed per instance
            }
        };
        assertThrows(AssertionFailedError.class, () -> contract.shouldMakeTheSameMovesForTheSameRun(1, 2, 0.6, 40, 7));
    }
}
