package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.attention.PageSelection;

class LlamaGreedyTest extends Stories260KTest {

    static final String EXPECTED_START =
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";


    /** Greedy tokens from BOS; {@code budgetTokens <= 0} means dense attention. */
    static int[] greedy(LlamaModel m, int tokens, int budgetTokens, CacheConfig cc) {
        LlamaConfig c = m.config();
        try (TieredKvCache cache = cc.build(c, tokens); Sequence seq = cache.newSequence();
                LlamaDecoder d = new LlamaDecoder(m, seq, budgetTokens <= 0 ? PageSelection.ALL : budgetTokens)) {
            return DecodeLoop.run(d, m.tokenizer(), new int[] {m.tokenizer().bos()}, tokens, new Sampler(c.vocabSize(),
                    0f, 1f, 0), false, null);
        }
    }

    @Test
    void shouldReadStories260KConfig() {
        LlamaConfig c = model.config();
        assertEquals(new LlamaConfig(64, 5, 8, 4, 8, 172, 512, 512, 1e-5f, 10000f), c);
        assertFalse(model.tiedOutput());
        assertEquals(1, model.tokenizer().bos());
        assertEquals(2, model.tokenizer().eos());
    }

    @Test
    void shouldDecodeTheKnownStoryGreedilyFromBos() {
        int[] tokens = greedy(model, 60, 0, CacheConfig.defaults());
        String text = model.tokenizer().decode(prepend(model.tokenizer().bos(), tokens));
        assertTrue(text.startsWith(EXPECTED_START), "greedy text was: " + text);
    }

    @Test
    void shouldDecodeTheSameTokensWithEveryPageInTheSlowTier() {
        int[] dense = greedy(model, 60, 0, CacheConfig.defaults());
        int[] slowOnly = greedy(model, 60, 0, new CacheConfig(16, 0, -1, Double.POSITIVE_INFINITY));
        assertArrayEquals(dense, slowOnly);
    }

    @Test
    void shouldDecodeTheKnownStoryWithAnF16KvCache() {
        int[] tokens = greedy(model, 40, 0, new CacheConfig(16, -1, -1, Double.POSITIVE_INFINITY,
                org.kvplace.core.layout.ElementType.F16));
        String text = model.tokenizer().decode(prepend(model.tokenizer().bos(), tokens));
        assertTrue(text.startsWith(EXPECTED_START), "greedy text with an f16 cache was: " + text);
    }

    static int[] prepend(int first, int[] rest) {
        int[] all = new int[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
