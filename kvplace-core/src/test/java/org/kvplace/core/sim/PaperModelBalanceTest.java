package org.kvplace.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
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
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;
import org.kvplace.core.trace.TraceWriter;

/**
 * {@code balance} priced by the paper's cost model, on a trace with the dynamics of the paper
 * author's generator: each layer reads 40% of the context, and every decode token drops the
 * tenth of its read set with the lowest token ids and draws as many new ids uniformly from the
 * tokens it does not read (the stated rule of that generator, written here from its description).
 */
class PaperModelBalanceTest {

    @TempDir
    Path dir;

    private static final int PROMPT = 8192;
    private static final int DECODE = 128;
    private static final int LAYERS = 32;

    // The paper's bandwidths, 16 KiB of KV per token and layer, 162,889,728 weight bytes per layer
    // step; a fast tier that leaves room for 40% of the prompt's KV.
    private static final ModelProfile MODEL = new ModelProfile("paper", LAYERS, 16384, 162_889_728L, 1);
    private static final HardwareProfile HW = new HardwareProfile("paper-toy", 4.9e12,
            LAYERS * 162_889_728L + (long) (0.40 * PROMPT) * LAYERS * 16384L, 450e9, 450e9, 500e9,
            480_000_000_000L);

    private TraceSource authorLikeTrace() throws IOException {
        Path p = dir.resolve("author-like.kvpt");
        TraceHeader h = new TraceHeader(1, LAYERS, PROMPT, DECODE, false);
        SplittableRandom rnd = new SplittableRandom(7);
        boolean[][] member = new boolean[LAYERS][PROMPT + DECODE];
        int[] size = new int[LAYERS];
        TraceStep step = TraceStep.forHeader(h);
        try (TraceWriter w = TraceWriter.create(p, h)) {
            for (int n = PROMPT; n < PROMPT + DECODE; n++) {
                int k = (int) Math.round(0.4 * (n - 1));
                for (int l = 0; l < LAYERS; l++) {
                    boolean[] m = member[l];
                    if (n == PROMPT) {
                        size[l] = add(m, 0, n, k, rnd);
                    } else {
                        int swaps = size[l] / 10;
                        size[l] += add(m, 0, n, k - size[l], rnd);
                        int dropped = 0;
                        boolean[] out = new boolean[n];
                        for (int id = 0; id < n && dropped < swaps; id++) {
                            if (m[id]) {
                                m[id] = false;
                                out[id] = true;
                                dropped++;
                            }
                        }
                        for (int id = 0; id < n; id++) {   // dropped ids are not drawn again now
                            m[id] |= out[id];
                        }
                        add(m, 0, n, dropped, rnd);
                        for (int id = 0; id < n; id++) {
                            m[id] ^= out[id];
                        }
                    }
                    step.reset(n, l, h.unitsBefore(n));
                    for (int id = 0; id < n; id++) {
                        if (m[id]) {
                            step.add(id);
                        }
                    }
                    w.write(step);
                }
            }
        }
        return () -> TraceReader.open(p);
    }

    // Marks `count` uniformly drawn non-members of [lo, hi) as members; returns how many.
    private static int add(boolean[] m, int lo, int hi, int count, SplittableRandom rnd) {
        int added = 0;
        while (added < count) {
            int id = rnd.nextInt(lo, hi);
            if (!m[id]) {
                m[id] = true;
                added++;
            }
        }
        return added;
    }

    @Test
    void balanceShouldComeWithinTwoPercentOfTheAuthorsAnnealingOracle() throws IOException {
        TraceSource src = authorLikeTrace();
        PaperSimulator sim = new PaperSimulator(HW, MODEL);
        double balance = sim.run(src, Policies.balance(sim.costModel())).totalTime();
        double sa = sim.run(src, PaperPolicies.byName("paper-sa:5:0.5:1", src)).totalTime();
        double reactive = sim.run(src, PaperPolicies.byName("paper-reactive", src)).totalTime();
        double bound = sim.replay(src, PaperPolicies.byName("paper-static", src)).bound().totalTime();
        String all = "balance " + balance + " s, SA " + sa + " s, reactive " + reactive + " s, bound " + bound + " s";
        assertTrue(balance >= bound * (1 - 1e-12), all);
        assertTrue(sa / balance >= 0.98, "balance below 0.98 of the author's SA: " + all);
        assertTrue(balance < reactive, "balance not faster than the author's reactive: " + all);
    }

    @Test
    void balanceShouldPromoteOnlyUnitsTheStepReadInThePapersModel() throws IOException {
        // there a promotion of an unread unit adds a slow read to the step; one of a unit the step
        // reads costs only its fast-tier write
        TraceSource src = authorLikeTrace();
        PaperSimulator sim = new PaperSimulator(HW, MODEL);
        PlacementPolicy balance = Policies.balance(sim.costModel());
        long[] promoted = new long[1];
        PlacementPolicy checked = new PlacementPolicy() {
            @Override
            public String name() {
                return "checked balance";
            }

            @Override
            public void start(Placement placement) {
                balance.start(placement);
            }

            @Override
            public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
                return balance.placeNew(layer, unit, future, placement, plan);
            }

            @Override
            public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
                int before = plan.promotions();
                balance.plan(reads, future, placement, plan);
                for (int i = before; i < plan.promotions(); i++) {
                    int u = plan.promotedUnit(i);
                    assertEquals(reads.layer(), plan.promotedLayer(i));
                    assertTrue(Bits.get(reads.readBits(), u), "promoted unit " + u + " of layer " + reads.layer()
                            + " not read at position " + reads.position());
                    promoted[0]++;
                }
            }
        };
        sim.run(src, checked);
        assertTrue(promoted[0] > 0, "balance promoted nothing");
    }
}
