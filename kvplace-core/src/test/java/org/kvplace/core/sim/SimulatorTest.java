package org.kvplace.core.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.PagePolicy;
import org.kvplace.core.placement.Placement;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.placement.StaticPolicy;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

class SimulatorTest {

    // B_F = 1000 B/s, link 100 + 100 B/s, DRAM 1000 B/s; no weights; 10 bytes per token; 20 bytes of fast KV room.
    private static final HardwareProfile HW = new HardwareProfile("toy", 1000, 20, 100, 100, 1000, 1_000_000);
    private static final ModelProfile MODEL = new ModelProfile("toy", 1, 10, 0, 1);

    /** A fixed trace: prompt 4, step n=4 reads {0,1,2,3}, step n=5 reads {0,4}. */
    private static AccessTrace fixed() {
        return new ListTrace(new TraceHeader(1, 1, 4, 2, false), List.of(new int[] {0, 1, 2, 3}, new int[] {0, 4}));
    }

    @Test
    void shouldPriceAStaticReplayByHand() throws IOException {
        Simulator sim = new Simulator(HW, MODEL);
        SimulationResult r = sim.run(fixed(), new StaticPolicy());
        // step 1: a = 20 of 40, new token slow: t_S = 20/100 = 0.2; step 2: a = 10 of 20: t_S = 10/100 = 0.1
        assertEquals(0.3, r.totalTime(), 1e-12);
        assertEquals(2 / 0.3, r.tokensPerSecond(), 1e-9);
        assertEquals(30, r.kvFastBytes());
        assertEquals(30, r.kvSlowBytes());
        assertEquals(0.5, r.fastHitRate(), 1e-12);
        assertEquals(0, r.bytesMigrated());
        // all-fast: (40 + 10)/1000 + (20 + 10)/1000
        assertEquals(0.08, r.allFastTime(), 1e-12);
        // balanced: step 1 capacity-bound at a = 20 -> 0.2; step 2 (10 + a)/1000 = (20 - a)/100 -> 0.3/11
        assertEquals(0.2 + 0.3 / 11, r.balancedTime(), 1e-12);
        assertArrayEquals(new double[] {0.3}, r.layerTime(), 1e-12);
    }

    @Test
    void shouldReturnEachReplaysReferencesWithItsResult() throws IOException {
        Simulator sim = new Simulator(HW, MODEL);
        Replay fixedReplay = sim.replay(fixed(), new StaticPolicy());
        // a second replay over another trace leaves the first one's references as they were
        Replay other = sim.replay(new ListTrace(new TraceHeader(1, 1, 4, 1, false), List.of(new int[] {0})),
                new StaticPolicy());
        assertEquals(2, fixedReplay.steps());
        assertEquals(1, other.steps());
        assertEquals("all-fast", fixedReplay.allFast().policy());
        assertEquals(0.08, fixedReplay.allFast().totalTime(), 1e-12);
        assertEquals(60, fixedReplay.allFast().kvFastBytes());
        assertEquals("balanced-bound", fixedReplay.bound().policy());
        assertEquals(0.2 + 0.3 / 11, fixedReplay.bound().totalTime(), 1e-12);
        assertEquals(60, fixedReplay.bound().kvFastBytes() + fixedReplay.bound().kvSlowBytes());
        // step 1 of `other` reads 10 bytes and writes 10: (10 + 10)/1000
        assertEquals(0.02, other.allFast().totalTime(), 1e-12);
        assertTrue(fixedReplay.wallNanos() > 0 && fixedReplay.stepsPerSecond() > 0);
    }

    @Test
    void shouldReportAPolicysParametersFromItsParametersNotItsName() throws IOException {
        Simulator sim = new Simulator(SMALL_HW, SMALL_MODEL);
        SimulationResult or = sim.run(TraceGenerator.source(small(0.6, 0.1, 1)), Policies.byName("oracle:8:0.5"));
        assertEquals("oracle", or.policy());
        assertEquals("(Wn=8, R=0.5)", or.detail());
        SimulationResult st = sim.run(TraceGenerator.source(small(0.6, 0.1, 1)), Policies.byName("static"));
        assertEquals("", st.detail());
    }

    @Test
    void shouldChargeReactiveMigrationsToTheStep() throws IOException {
        SimulationResult r = new Simulator(HW, MODEL).run(fixed(), Policies.byName("reactive"));
        // step 2 promotes token 4 and demotes token 1: t_S = (10 + 10)/100 on both link directions
        assertEquals(0.4, r.totalTime(), 1e-12);
        assertEquals(20, r.bytesMigrated());
        assertEquals(1, r.promotedUnits());
        assertEquals(1, r.demotedUnits());
    }

    private static GeneratorConfig small(double sparsity, double variation, int unit) {
        return new GeneratorConfig(3000, 64, 4, unit, sparsity, 4, 64, 0.5, variation, 11);
    }

    // 4 layers x 4 KiB per token, fast room for about a third of the KV
    private static final ModelProfile SMALL_MODEL = new ModelProfile("small", 4, 4096, 1_000_000, 1);
    private static final HardwareProfile SMALL_HW = new HardwareProfile("small", 4.9e12, 4_000_000L + 16_000_000L,
            450e9, 450e9, 500e9, 1L << 40);

    @Test
    void shouldNeverBeatTheBalancedBoundWithAnyPolicy() throws IOException {
        for (double sparsity : new double[] {0.4, 0.9}) {
            for (double variation : new double[] {0.02, 0.3}) {
                for (String name : List.of("static", "reactive", "arc", "balance", "page", "oracle",
                        "oracle:4:0.5")) {
                    Simulator sim = new Simulator(SMALL_HW, SMALL_MODEL);
                    SimulationResult r = sim.run(TraceGenerator.source(small(sparsity, variation, 1)),
                            Policies.byName(name, sim.costModel()));
                    assertTrue(r.totalTime() >= r.balancedTime() * (1 - 1e-12),
                            name + " " + r.totalTime() + " < bound " + r.balancedTime());
                }
            }
        }
    }

    /**
     * With room for the whole cache in the fast tier, reading everything from it is one of the
     * placements the balanced bound ranges over, and giving the slow tier a share of the reads is
     * strictly better while the fast tier is the bottleneck: the bound lies below all-fast.
     */
    @Test
    void shouldPutTheBalancedBoundBelowAllFastWhenTheFastTierHoldsEverything() throws IOException {
        HardwareProfile roomy = new HardwareProfile("roomy", 4.9e12, 1L << 30, 450e9, 450e9, 500e9, 1L << 40);
        for (double sparsity : new double[] {0.0, 0.4, 0.9}) {
            SimulationResult r = new Simulator(roomy, SMALL_MODEL).run(TraceGenerator.source(small(sparsity, 0.1, 1)),
                    Policies.byName("static"));
            assertTrue(r.balancedTime() < r.allFastTime(),
                    "sparsity " + sparsity + ": bound " + r.balancedTime() + " vs all-fast " + r.allFastTime());
            // and not by more than the slow tier can carry: at best it adds its bandwidth to the fast one
            assertTrue(r.balancedTime() >= r.allFastTime() * 4.9e12 / (4.9e12 + 500e9) * (1 - 1e-9),
                    "sparsity " + sparsity + ": bound " + r.balancedTime() + " below the two tiers' joint limit");
        }
    }

    @Test
    void shouldGiveTheSameNumbersForTheSameSeed() throws IOException {
        for (String name : List.of("reactive", "oracle:3:0.7", "page")) {
            SimulationResult a = new Simulator(SMALL_HW, SMALL_MODEL).run(
                    TraceGenerator.source(small(0.6, 0.1, 1)), Policies.byName(name));
            SimulationResult b = new Simulator(SMALL_HW, SMALL_MODEL).run(
                    TraceGenerator.source(small(0.6, 0.1, 1)), Policies.byName(name));
            assertEquals(a.totalTime(), b.totalTime(), 0.0, name);
            assertEquals(a.kvFastBytes(), b.kvFastBytes(), name);
            assertEquals(a.bytesMigrated(), b.bytesMigrated(), name);
            // and the seed matters: another seed draws other read sets, so other numbers
            GeneratorConfig c0 = small(0.6, 0.1, 1);
            GeneratorConfig other = new GeneratorConfig(c0.promptTokens(), c0.decodeTokens(), c0.layers(),
                    c0.unitTokens(), c0.sparsity(), c0.sinkTokens(), c0.recentTokens(), c0.recencyBias(),
                    c0.variation(), c0.seed() + 1);
            SimulationResult c = new Simulator(SMALL_HW, SMALL_MODEL).run(TraceGenerator.source(other),
                    Policies.byName(name));
            assertTrue(c.totalTime() != a.totalTime() || c.bytesMigrated() != a.bytesMigrated(),
                    name + ": seed " + other.seed() + " gave exactly the numbers of seed " + c0.seed());
        }
    }

    @Test
    void shouldLetBalanceBeatStaticAndReactiveWhenTheFastTierIsTight() throws IOException {
        Simulator sim = new Simulator(SMALL_HW, SMALL_MODEL);
        GeneratorConfig c = small(0.6, 0.1, 1);
        SimulationResult st = sim.run(TraceGenerator.source(c), Policies.byName("static"));
        SimulationResult re = sim.run(TraceGenerator.source(c), Policies.byName("reactive"));
        SimulationResult ba = sim.run(TraceGenerator.source(c), Policies.balance(sim.costModel()));
        assertTrue(ba.totalTime() < st.totalTime() * 0.9, ba.totalTime() + " vs static " + st.totalTime());
        assertTrue(ba.totalTime() < re.totalTime(), ba.totalTime() + " vs reactive " + re.totalTime());
    }

    @Test
    void shouldLetTheOracleBeatStaticWhenTheFastTierIsTight() throws IOException {
        Simulator sim = new Simulator(SMALL_HW, SMALL_MODEL);
        SimulationResult st = sim.run(TraceGenerator.source(small(0.6, 0.1, 1)), Policies.byName("static"));
        SimulationResult or = sim.run(TraceGenerator.source(small(0.6, 0.1, 1)), Policies.byName("oracle:8:1"));
        assertTrue(or.totalTime() < st.totalTime(), or.totalTime() + " vs static " + st.totalTime());
        assertTrue(or.fastHitRate() > st.fastHitRate());
    }

    @Test
    void shouldReplayPageGranularityTracesAndCoarsenTokenTracesForThePagePolicy() throws IOException {
        Simulator sim = new Simulator(SMALL_HW, SMALL_MODEL);
        Replay tokReplay = sim.replay(TraceGenerator.source(small(0.6, 0.1, 1)), Policies.byName("page"));
        SimulationResult tok = tokReplay.result();
        // Coarsened Quest-style (Simulator's class comment): each step reads whole pages, as many
        // as its token reads fill, ceil(reads / 16). Counted here from the trace itself, beside the
        // token bytes of the all-fast reference.
        long pageBytes = 0;
        long tokenBytes = 0;
        long perToken = SMALL_MODEL.kvBytesPerToken();
        int page = PagePolicy.PAGE_TOKENS;
        try (AccessTrace t = TraceGenerator.source(small(0.6, 0.1, 1)).open()) {
            TraceStep st = TraceStep.forHeader(t.header());
            while (t.next(st)) {
                tokenBytes += st.readCount() * perToken;
                pageBytes += (st.readCount() + page - 1) / page * (long) page * perToken;
            }
        }
        assertTrue(pageBytes > tokenBytes, pageBytes + " vs " + tokenBytes);
        assertEquals(pageBytes, tok.kvFastBytes() + tok.kvSlowBytes());
        assertEquals(tokenBytes, tokReplay.allFast().kvFastBytes());
        SimulationResult pages = sim.run(TraceGenerator.source(small(0.6, 0.1, 16)), Policies.byName("reactive"));
        assertTrue(pages.totalTime() >= pages.balancedTime());
    }

    @Test
    void shouldFailNamingTheStepWhenAPolicyOverflowsTheFastTier() {
        PlacementPolicy greedy = new PlacementPolicy() {
            @Override
            public String name() {
                return "greedy";
            }

            @Override
            public void start(Placement placement) {}

            @Override
            public boolean placeNew(int layer, int unit, Lookahead f, Placement p, MigrationPlan plan) {
                return p.fastFreeBytes() >= p.unitBytes();
            }

            @Override
            public void plan(StepReads reads, Lookahead f, Placement p, MigrationPlan plan) {
                for (int u = 0; u < reads.unitCount(); u++) {
                    if (!p.isFast(reads.layer(), u)) {
                        plan.promote(reads.layer(), u);
                    }
                }
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Simulator(HW, MODEL).run(fixed(), greedy));
        assertTrue(e.getMessage().contains("step n=4 l=0") && e.getMessage().contains("over capacity"),
                e.getMessage());
    }

    @Test
    void shouldFailNamingTheStepForUnitsBeyondTheTokensThatExist() {
        TraceHeader h = new TraceHeader(1, 1, 4, 2, false);
        AccessTrace bad = new ListTrace(h, List.of(new int[] {0}, new int[] {0}), 1, 9);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Simulator(HW, MODEL).run(bad, new StaticPolicy()));
        assertTrue(e.getMessage().contains("step n=5 l=0"), e.getMessage());
    }

    @Test
    void shouldFailNamingTheStepForLayersBeyondTheModel() {
        AccessTrace twoLayers = new ListTrace(new TraceHeader(1, 2, 4, 1, false),
                List.of(new int[] {0}, new int[] {1}));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Simulator(HW, MODEL).run(twoLayers, new StaticPolicy()));
        assertTrue(e.getMessage().contains("step n=4 l=1") && e.getMessage().contains("beyond the model"),
                e.getMessage());
        ModelProfile two = new ModelProfile("two", 2, 10, 0, 1);
        assertThrows(IllegalArgumentException.class, () -> new Simulator(HW, two).run(fixed(), new StaticPolicy()));
    }

    @Test
    void shouldScaleKvBytesWithTheBatchButReadWeightsOnce() throws IOException {
        ModelProfile m = new ModelProfile("w", 1, 10, 100, 1);
        HardwareProfile hw = new HardwareProfile("toy", 1000, 100 + 1000, 100, 100, 1000, 1_000_000);
        SimulationResult one = new Simulator(hw, m).run(fixed(), new StaticPolicy());
        SimulationResult four = new Simulator(hw, m.withBatch(4)).run(fixed(), new StaticPolicy());
        assertEquals(one.weightBytes(), four.weightBytes());
        assertEquals(4 * one.kvFastBytes() + 4 * one.kvSlowBytes(), four.kvFastBytes() + four.kvSlowBytes());
        // everything fits in both: all-fast (W + D_A + D_W)/B_F: batch 1 = (100+40+10 + 100+20+10)/1000
        assertEquals(0.28, one.allFastTime(), 1e-12);
        assertEquals((100 + 160 + 40 + 100 + 80 + 40) / 1000.0, four.allFastTime(), 1e-12);
    }

    @Test
    void annealingShouldReturnTheBestPointItEvaluated() throws IOException {
        Simulator sim = new Simulator(SMALL_HW, SMALL_MODEL);
        AnnealingSearch.Outcome o = new AnnealingSearch(sim, 8, 6, 3).search(
                TraceGenerator.source(small(0.6, 0.1, 1)));
        assertEquals(6, o.evaluated().size());
        double min = o.evaluated().stream().mapToDouble(p -> p.result().totalTime()).min().orElseThrow();
        assertEquals(min, o.best().result().totalTime(), 0.0);
        assertTrue(o.best().window() >= 1 && o.best().window() <= 8);
    }

    @Test
    void annealingShouldRepeatItselfForTheSameSeedAndNotForAnother() throws IOException {
        Simulator sim = new Simulator(SMALL_HW, SMALL_MODEL);
        List<AnnealingSearch.Point> a = new AnnealingSearch(sim, 8, 6, 3)
                .search(TraceGenerator.source(small(0.6, 0.1, 1))).evaluated();
        List<AnnealingSearch.Point> b = new AnnealingSearch(sim, 8, 6, 3)
                .search(TraceGenerator.source(small(0.6, 0.1, 1))).evaluated();
        List<AnnealingSearch.Point> c = new AnnealingSearch(sim, 8, 6, 4)
                .search(TraceGenerator.source(small(0.6, 0.1, 1))).evaluated();
        assertEquals(a.size(), b.size());
        boolean differs = false;
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).window(), b.get(i).window(), "point " + i);
            assertEquals(a.get(i).fraction(), b.get(i).fraction(), 0.0, "point " + i);
            assertEquals(a.get(i).result().totalTime(), b.get(i).result().totalTime(), 0.0, "point " + i);
            differs |= i < c.size() && (a.get(i).window() != c.get(i).window()
                    || a.get(i).fraction() != c.get(i).fraction());
        }
        assertTrue(differs, "seed 4 visited exactly the points of seed 3");
    }

    /** A trace from explicit id lists; optionally plants a bad id at one step. */
    private static final class ListTrace implements AccessTrace {
        private final TraceHeader h;
        private final List<int[]> steps;
        private final int badStep;
        private final int badId;
        private int i;

        ListTrace(TraceHeader h, List<int[]> steps) {
            this(h, steps, -1, 0);
        }

        ListTrace(TraceHeader h, List<int[]> steps, int badStep, int badId) {
            this.h = h;
            this.steps = steps;
            this.badStep = badStep;
            this.badId = badId;
        }

        @Override
        public TraceHeader header() {
            return h;
        }

        @Override
        public boolean next(TraceStep into) {
            if (i >= steps.size()) {
                return false;
            }
            int n = h.promptTokens() + i / h.layers();
            into.reset(n, i % h.layers(), h.unitsBefore(n));
            for (int id : steps.get(i)) {
                into.add(id);
            }
            if (i == badStep) {
                into.readBits()[badId >>> 6] |= 1L << badId; // bypasses add()'s check, as a foreign reader could
            }
            i++;
            return true;
        }

        @Override
        public void close() {}
    }
}
