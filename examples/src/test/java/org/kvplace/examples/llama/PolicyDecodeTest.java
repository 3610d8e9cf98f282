package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.kvplace.core.engine.EngineStats;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.Policies;
import org.kvplace.testkit.placement.ChaosPolicy;

/**
 * Placement never changes a result: stories260K decodes the same tokens under every policy, with
 * pages migrating while it decodes, dense and sparse, with a small fast tier.
 */
class PolicyDecodeTest extends Stories260KTest {

    private int[] greedy(int tokens, int budget, Supplier<PlacementPolicy> policy, EngineStats[] stats) {
        LlamaConfig c = model.config();
        // 12 fast pages for 5 layers x 13 pages: most of the cache is slow, pages must move.
        CacheConfig cc = new CacheConfig(16, 12, -1, Double.POSITIVE_INFINITY);
        KvPlace.Builder b = KvPlace.builder().cache(cc.builder(c, tokens + 1)).queryHeads(c.heads()).policy(policy);
        if (budget > 0) {
            b.budgetTokens(budget).oversample(0);
        }
        try (KvPlace kv = b.build(); KvSequence seq = kv.newSequence(); LlamaDecoder d = new LlamaDecoder(model, seq, null)) {
            int[] out = DecodeLoop.run(d, model.tokenizer(), new int[] {model.tokenizer().bos()}, tokens,
                    new Sampler(c.vocabSize(), 0f, 1f, 0), false, null);
            stats[0] = seq.stats();
            return out;
        }
    }

    @Test
    void everyPolicyDecodesTheSameTokensDenseAndSparse() {
        for (int budget : new int[] {0, 48}) {
            EngineStats[] st = new EngineStats[1];
            int[] reference = greedy(200, budget, () -> Policies.byName("static"), st);
            for (String name : new String[] {"reactive"}) {
                int[] got = greedy(200, budget, () -> Policies.byName(name), st);
                assertArrayEquals(reference, got, name + " with budget " + budget);
            }
            int[] chaos = greedy(200, budget, () -> new ChaosPolicy(11, 1), st);
            assertArrayEquals(reference, chaos, "chaos with budget " + budget);
            assertTrue(st[0].promotions() + st[0].demotions() > 0, "pages moved while decoding: " + st[0]);
        }
        EngineStats[] st = new EngineStats[1];
        int[] dense = greedy(60, 0, () -> Policies.byName("reactive"), st);
        String text = model.tokenizer().decode(LlamaGreedyTest.prepend(model.tokenizer().bos(), dense));
        assertTrue(text.startsWith(LlamaGreedyTest.EXPECTED_START), "greedy text under reactive: " + text);
    }
}
