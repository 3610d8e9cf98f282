package org.kvplace.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.Placement;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceGenerator;

/**
 * Properties every policy must keep on random small traces and profiles: the placement the
 * driver shows it is exactly what its own plans made (a shadow replays them), the fast tier never
 * overflows, and no replay beats the balanced bound.
 */
class PolicyInvariantsTest {

    private static final List<String> POLICIES = List.of("static", "reactive", "arc", "balance", "page",
            "oracle:3:0.5");

    @Test
    void shouldApplyEveryPlanExactlyAndNeverOverflowOrBeatTheBound() throws IOException {
        SplittableRandom rnd = new SplittableRandom(2024);
        for (int trial = 0; trial < 12; trial++) {
            int layers = 1 + rnd.nextInt(4);
            double sparsity = 0.2 + 0.7 * rnd.nextDouble();
            double variation = rnd.nextDouble() * 0.5;
            int unit = rnd.nextBoolean() ? 1 : 16;
            GeneratorConfig c = new GeneratorConfig(300 + rnd.nextInt(1500), 8 + rnd.nextInt(24), layers, unit,
                    sparsity, 4, 32, rnd.nextDouble(), variation, rnd.nextLong());
            long kv = 1024L << rnd.nextInt(4);
            ModelProfile model = new ModelProfile("m", layers, kv, 1_000_000, 1 + rnd.nextInt(3));
            long room = (long) ((c.promptTokens() + c.decodeTokens()) * kv * layers * model.batch()
                    * (0.05 + rnd.nextDouble()));
            HardwareProfile hw = new HardwareProfile("h", 1e12 + rnd.nextDouble() * 4e12,
                    model.totalWeightBytes() + room, 50e9 + rnd.nextDouble() * 400e9, 450e9, 500e9, 1L << 42);
            for (String name : POLICIES) {
                Simulator sim = new Simulator(hw, model);
                Shadow s = new Shadow(Policies.byName(name, sim.costModel()));
                SimulationResult r = sim.run(TraceGenerator.source(c), s);
                String what = name + " on " + c.spec() + " room " + room;
                assertTrue(s.checks > 0, what);
                assertTrue(r.totalTime() >= r.balancedTime() * (1 - 1e-12), what + ": " + r.totalTime()
                        + " below the bound " + r.balancedTime());
                assertEquals(s.promoted, r.promotedUnits(), what);
                assertEquals(s.demoted, r.demotedUnits(), what);
            }
        }
    }

    /** Wraps a policy, replays its plans on a shadow placement and compares it at every call. */
    private static final class Shadow implements PlacementPolicy {
        private final PlacementPolicy inner;
        private BitSet[] fast;
        private long checks;
        private long promoted;
        private long demoted;
        private boolean decoding;

        Shadow(PlacementPolicy inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public int granularityTokens() {
            return inner.granularityTokens();
        }

        @Override
        public int lookahead() {
            return inner.lookahead();
        }

        @Override
        public void start(Placement placement) {
            decoding = false;
            fast = new BitSet[placement.layers()];
            for (int l = 0; l < fast.length; l++) {
                fast[l] = new BitSet();
            }
            inner.start(placement);
        }

        @Override
        public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
            check(placement);
            decoding |= future != Lookahead.NONE;  // the driver offers a look-ahead from the decode on
            boolean f = inner.placeNew(layer, unit, future, placement, plan);
            replay(plan, decoding);  // the driver charges moves from the first decode token on
            if (f) {
                fast[layer].set(unit);
            }
            return f;
        }

        @Override
        public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
            check(placement);
            inner.plan(reads, future, placement, plan);
            replay(plan, true);
        }

        private void replay(MigrationPlan plan, boolean count) {
            for (int i = 0; i < plan.demotions(); i++) {
                assertTrue(fast[plan.demotedLayer(i)].get(plan.demotedUnit(i)), "demotes a slow unit");
                fast[plan.demotedLayer(i)].clear(plan.demotedUnit(i));
            }
            for (int i = 0; i < plan.promotions(); i++) {
                assertTrue(!fast[plan.promotedLayer(i)].get(plan.promotedUnit(i)), "promotes a fast unit");
                fast[plan.promotedLayer(i)].set(plan.promotedUnit(i));
            }
            if (count) {
                promoted += plan.promotions();
                demoted += plan.demotions();
            }
        }

        private void check(Placement p) {
            long n = 0;
            for (int l = 0; l < p.layers(); l++) {
                long[] bits = p.fastBits(l);
                for (int u = 0; u < p.units(l); u++) {
                    assertEquals(fast[l].get(u), Bits.get(bits, u), "layer " + l + " unit " + u);
                }
                n += fast[l].cardinality();
            }
            assertEquals(n * p.unitBytes(), p.fastUsedBytes());
            assertTrue(p.fastUsedBytes() <= p.fastCapacityBytes(), p.fastUsedBytes() + " > " + p.fastCapacityBytes());
            checks++;
        }
    }
}
