package org.kvplace.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.PaperPolicies;
import org.kvplace.core.placement.Placement;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;

class PaperSimulatorTest {

    @TempDir
    Path dir;

    /*
     * Golden numbers from the paper author's simulator (fangyunh/Data_Placement_Optimization,
     * simulation/ at 8abfd876 with placement.py and migration.py at c57d1d23), run with
     * /usr/bin/python3 outside this repository on a trace of its generator
     * (trace_generation/generate_trace.py at c57d1d23 with N_pre=4096, N=32, L=32, sparsity=0.6,
     * random.seed(1), cut to its first 8 positions: head -n 257); the resource is that CSV
     * imported and written as a binary trace (kvplace simulate --import-text a8.csv
     * --write-trace a8.kvpt). Commands, from the author's simulation/ directory:
     *   python3 simulator.py --filename a8.csv --para_num 0.5 --C_HBM_max 1.85 --inclusive True
     *       --best False --init_class HBMInit --mig_classes NoMigration --plc_classes PreferHBM
     *   (--best True: the bound; TokenLevelBestRatioInit + NormalMigration + PreferHBM: reactive;
     *   HBMInitPaged + PageMigration + PreferHBMPaged: page)
     *   SA at one point: SA_simulation.evaluate_split over the chunks evaluate_latency_parallel
     *   cuts (n_splits = 1 and 2), window 5, topk 0.5, one after the other.
     * The profile: the author's bandwidths, its 32 layers of 16 KiB KV per token and 162,889,728
     * weight bytes per layer step, and a fast capacity leaving floor((1.85 x 2^30 - 1e9) / 16384)
     * = 60206 KV units, as docs/paper-model/paper-a.properties.
     */
    private static final HardwareProfile HW = new HardwareProfile("paper-a", 4.9e12, 6_198_886_400L, 450e9,
            450e9, 500e9, 480_000_000_000L);
    private static final ModelProfile MODEL = new ModelProfile("paper", 32, 16384, 162_889_728L, 1);

    private TraceSource authorTrace() throws IOException {
        Path p = dir.resolve("a8.kvpt");
        if (!Files.exists(p)) {
            try (InputStream in = new GZIPInputStream(
                    PaperSimulatorTest.class.getResourceAsStream("/paper/author-4096+8.kvpt.gz"))) {
                Files.copy(in, p);
            }
        }
        return () -> TraceReader.open(p);
    }

    private static void assertClose(double authorNs, double seconds, double rel, String what) {
        double expected = authorNs / 1e9;
        assertEquals(expected, seconds, expected * rel, what);
    }

    @Test
    void shouldMatchTheAuthorsSimulatorOnItsGeneratorsTrace() throws IOException {
        TraceSource src = authorTrace();
        PaperSimulator sim = new PaperSimulator(HW, MODEL);
        Replay st = sim.replay(src, PaperPolicies.byName("paper-static", src));
        assertClose(10931548.05366563, st.result().totalTime(), 1e-9, "static");
        assertClose(9088910.86022847, st.bound().totalTime(), 1e-9, "bound");
        assertClose(REACTIVE_NS, sim.run(src, PaperPolicies.byName("paper-reactive", src)).totalTime(), 1e-9,
                "reactive");
        assertClose(PAGE_NS, sim.run(src, PaperPolicies.byName("paper-page", src)).totalTime(), 1e-9, "page");
        // SA evicts in Python set order there, oldest first here; on this trace the order changes nothing
        assertClose(SA1_NS, sim.run(src, PaperPolicies.byName("paper-sa:5:0.5:1", src)).totalTime(), 1e-9, "sa");
        assertClose(SA2_NS, sim.run(src, PaperPolicies.byName("paper-sa:5:0.5:2", src)).totalTime(), 1e-9,
                "sa, 2 chunks");
    }

    private static final double REACTIVE_NS = 9610940.82510522;
    private static final double PAGE_NS = 14943934.25215585;
    private static final double SA1_NS = 9115496.03646426;
    private static final double SA2_NS = 9092566.98140759;

    @Test
    void shouldRunKvplacesPoliciesInThePaperModel() throws IOException {
        TraceSource src = authorTrace();
        PaperSimulator sim = new PaperSimulator(HW, MODEL);
        double bound = 0;
        for (String p : List.of("static", "reactive", "page", "oracle:4:1.0")) {
            Replay replay = sim.replay(src, Policies.byName(p));
            SimulationResult r = replay.result();
            bound = replay.bound().totalTime();
            assertTrue(r.totalTime() >= bound * (1 - 1e-12), p + ": " + r.totalTime() + " below the bound " + bound);
        }
        assertClose(9088910.86022847, bound, 1e-9, "bound");
    }

    /** A toy policy: promotes unit 0 (read) and unit 1 (not read) of layer 0 after the first step. */
    private static final class Promoter implements PlacementPolicy {
        @Override
        public String name() {
            return "promoter";
        }

        @Override
        public void start(Placement placement) {
        }

        @Override
        public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
            return false;
        }

        @Override
        public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
            if (reads.position() == 2) {
                plan.promote(0, 0);
                plan.promote(0, 1);
            }
        }
    }

    @Test
    void shouldChargeAPromotionOfAnUnreadUnitOnTheSlowSideToo() throws IOException {
        // B_F = 1000, link 100 + 100, DRAM 1000; W = 0; 10 bytes per token.
        HardwareProfile hw = new HardwareProfile("toy", 1000, 1000, 100, 100, 1000, 1_000_000);
        ModelProfile m = new ModelProfile("toy", 1, 10, 0, 1);
        PaperSimulator sim = new PaperSimulator(hw, m);
        // prompt 2, one step n=2 reading {0}
        SimulationResult r = sim.run(
                new OneLayerTrace(new TraceHeader(1, 1, 2, 1, false), List.of(new int[] {0})),
                new Promoter());
        // D_R = 10, alpha = 0; moves: 20 bytes to F, 10 read from S (unit 1, not read this step)
        // T_F = (0 + 0 + 20) / 1000; T_S = max(10/100, 10/100, 20/1000) + (10 + 10) / 100 = 0.3
        assertEquals(0.3, r.totalTime(), 1e-12);
        assertEquals(2, r.promotedUnits());
    }

    /** A trace from explicit id lists, one per step. */
    private static final class OneLayerTrace implements AccessTrace {
        private final TraceHeader h;
        private final List<int[]> steps;
        private int i;

        OneLayerTrace(TraceHeader h, List<int[]> steps) {
            this.h = h;
            this.steps = steps;
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
            i++;
            return true;
        }

        @Override
        public void close() {
        }
    }
}
