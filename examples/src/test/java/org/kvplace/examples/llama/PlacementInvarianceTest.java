package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kvplace.core.engine.EngineStats;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;
import org.kvplace.core.placement.Policies;
import org.kvplace.testkit.placement.ChaosPolicy;

/**
 * Placement never changes a result: greedy decoding of stories260K gives bit-for-bit the same logits
 * at every step under every online policy and a chaos policy, for several fast-tier sizes, with the
 * slow tier throttled or not, dense and sparse, with the engine's worker or synchronous migration,
 * exclusive or inclusive (where the lanes also choose which pages with two copies to read slow).
 */
class PlacementInvarianceTest extends Stories260KTest {

    private static final int TOKENS = 120;

    /** One greedy run's logits, step after step, as raw float bits. */
    private List<int[]> logits(int fastPages, double slowBytesPerSecond, int budget, boolean synchronous,
            boolean inclusive, String policy, EngineStats[] stats) {
        LlamaConfig c = model.config();
        CacheConfig cc = new CacheConfig(16, fastPages, -1, slowBytesPerSecond).inclusive(inclusive);
        KvPlace.Builder b = KvPlace.builder().cache(cc.builder(c, TOKENS + 1)).queryHeads(c.heads())
                .synchronousMigration(synchronous);
        if (policy.equals("chaos")) {
            b.policy(() -> new ChaosPolicy(11, 2));
        } else {
            b.policy(policy);
        }
        if (budget > 0) {
            b.budgetTokens(budget).oversample(0);
        }
        List<int[]> out = new ArrayList<>();
        try (KvPlace kv = b.build(); KvSequence seq = kv.newSequence();
                LlamaDecoder d = new LlamaDecoder(model, seq, null)) {
            int token = model.tokenizer().bos();
            for (int i = 0; i < TOKENS; i++) {
                float[] l = d.forward(token);
                int[] bits = new int[l.length];
                int best = 0;
                for (int j = 0; j < l.length; j++) {
                    bits[j] = Float.floatToRawIntBits(l[j]);
                    if (l[j] > l[best]) {
                        best = j;
                    }
                }
                out.add(bits);
                seq.endStep();
                token = best;
            }
            stats[0] = seq.stats();
        }
        return out;
    }

    private static void assertSameBits(List<int[]> expected, List<int[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int step = 0; step < expected.size(); step++) {
            int[] e = expected.get(step);
            int[] a = actual.get(step);
            for (int j = 0; j < e.length; j++) {
                if (e[j] != a[j]) {
                    fail(what + ": step " + step + " logit " + j + " is " + Float.intBitsToFloat(a[j]) + ", expected "
                            + Float.intBitsToFloat(e[j]) + " (bits " + Integer.toHexString(a[j]) + " vs "
                            + Integer.toHexString(e[j]) + ")");
                }
            }
        }
    }

    @Test
    void logitsAreBitIdenticalUnderEveryPlacement() {
        // 5 layers of stories260K hold 8 pages each for 121 tokens (40 pages): 200 fast pages is all-fast.
        EngineStats[] st = new EngineStats[1];
        for (int budget : new int[] {0, 48}) {
            // Warm the kernels first, on the calling thread and on the lane thread: the reference is
            // then taken by the same compiled code as the others (the Vector API's code before C2 has
            // compiled it may differ in the last bit).
            for (int w = 0; w < 3; w++) {
                logits(200, Double.POSITIVE_INFINITY, budget, false, false, "static", st);
                logits(6, 2e9, budget, false, false, "static", st);
            }
            List<int[]> reference = logits(200, Double.POSITIVE_INFINITY, budget, false, false,
                    "static", st);
            assertEquals(0, st[0].bytesReadSlow(), "the reference reads only the fast tier");
            long moved = 0;
            for (int fastPages : new int[] {6, 17}) {
                for (double slow : new double[] {Double.POSITIVE_INFINITY, 2e9}) {
                    for (boolean synchronous : slow == 2e9 ? new boolean[] {false} : new boolean[] {false, true}) {
                        for (boolean inclusive : synchronous ? new boolean[] {false} : new boolean[] {false, true}) {
                            List<String> policies = new ArrayList<>(Policies.ONLINE);
                            policies.add("chaos");
                            for (String p : policies) {
                                List<int[]> got = logits(fastPages, slow, budget, synchronous, inclusive, p, st);
                                String what = p + " with " + fastPages + " fast pages, slow tier at " + slow
                                        + " B/s, budget " + budget + (synchronous ? ", synchronous moves" : "")
                                        + (inclusive ? ", inclusive" : "");
                                assertSameBits(reference, got, what);
                                if (fastPages > 0) {
                                    assertTrue(st[0].bytesReadSlow() > 0, "slow tier read: " + what + " " + st[0]);
                                }
                                moved += st[0].promotions() + st[0].demotions();
                            }
                        }
                    }
                }
            }
            assertTrue(moved > 100, "pages moved while decoding: " + moved);
        }
    }
}
