package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;

/**
 * A warm step of the placement engine allocates nothing on the decode thread: sparse attention over
 * both tiers, the reads handed to the policy, its plan applied and queued, the end of the step and
 * the page copies themselves. Reactive placement with a small fast tier moves pages every step.
 * Migrations run synchronously in {@code endStep} here: with the worker thread, a decode thread
 * that has to wait for a lock the worker holds gets a queue node from the JDK's lock (a few dozen
 * bytes, now and then), which is the lock's allocation, not the engine's. On an inclusive cache the
 * reactive policy's moves cost the link nothing and run at once on the decode thread, so the worker
 * has nothing to do.
 */
class EngineAllocationTest {

    @ParameterizedTest(name = "inclusive={0}")
    @ValueSource(booleans = {false, true})
    void shouldNotAllocatePerStepOnceWarm(boolean inclusive) {
        ModelShape shape = new ModelShape(2, 2, 64, 4_096);
        try (KvPlace kv = KvPlace.builder()
                .cache(TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(24).slowTierPages(600)
                        .inclusive(inclusive))
                .queryHeads(8).budgetTokens(256).oversample(0).parallelLanes(false).policy("reactive")
                .synchronousMigration(!inclusive).build();
                KvSequence seq = kv.newSequence()) {
            float[] k = new float[shape.kvWidth()];
            float[] q = new float[8 * shape.headDim()];
            float[] out = new float[q.length];
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
            for (int t = 0; t < 3_000; t++) {
                for (int l = 0; l < shape.layers(); l++) {
                    for (int i = 0; i < k.length; i++) {
                        k[i] = (float) rnd.nextGaussian();
                    }
                    seq.append(l, k, k);
                }
            }
            int[] layer = {0};
            WarmAllocation.assertNoAllocationOnceWarm(() -> {
                // A different query each step, so that selection (and the policy's moves) vary.
                int l = layer[0]++ & 1;
                for (int i = 0; i < q.length; i++) {
                    q[i] = (float) Math.sin(layer[0] * 0.37 + i);
                }
                seq.attend(l, q, out);
                if (l == 1) {
                    seq.endStep();
                }
            });
            assertTrue(seq.stats().promotions() > 0, "the policy moved pages: " + seq.stats());
        }
    }
}
