package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.attention.PageSelection;

class SparseDecodeTest extends Stories260KTest {

    @Test
    void shouldReproduceDenseTokensWhenTheBudgetCoversTheContext() {
        int[] dense = LlamaGreedyTest.greedy(model, 256, 0, CacheConfig.defaults());
        int[] sparse = LlamaGreedyTest.greedy(model, 256, 256, CacheConfig.defaults());
        assertArrayEquals(dense, sparse);
    }

    @Test
    void shouldStillStartWithTheKnownSentenceAtHalfTheContext() {
        // The first sentence fits in 128 tokens, so a 128-token budget reads every page while it is produced.
        int[] sparse = LlamaGreedyTest.greedy(model, 40, 128, CacheConfig.defaults());
        String text = model.tokenizer().decode(LlamaGreedyTest.prepend(model.tokenizer().bos(), sparse));
        assertTrue(text.startsWith(LlamaGreedyTest.EXPECTED_START), text);
    }

    @Test
    void shouldReportThePagesEachLayerReadWithMassesAndTheEndOfEveryStep() {
        LlamaConfig c = model.config();
        CacheConfig cc = CacheConfig.defaults();
        int tokens = 70;
        int[] steps = new int[1];
        int[] calls = new int[1];
        try (TieredKvCache cache = cc.build(c, tokens); Sequence seq = cache.newSequence()) {
            AttentionObserver observer = new AttentionObserver() {
                @Override
                public void attended(int position, int layer, int[] pages, float[] masses, int count) {
                    int newest = position / 16;
                    assertEquals(steps[0], position);
                    assertEquals(calls[0] % c.layers(), layer);
                    // 48 tokens: the sink page, the newest page (1..16 tokens) and floor((48-16-newest)/16) = 1 more.
                    assertEquals(Math.min(3, newest + 1), count, "pages read at position " + position);
                    assertEquals(0, pages[0]);
                    assertEquals(newest, pages[count - 1]);
                    // Every head's softmax over the tokens read sums to 1, so the pages' masses sum to the heads.
                    float sum = 0f;
                    for (int i = 0; i < count; i++) {
                        assertTrue(masses[i] >= 0f && masses[i] <= c.heads(), "mass " + masses[i]);
                        sum += masses[i];
                    }
                    assertEquals(c.heads(), sum, 1e-3, "masses at position " + position + " layer " + layer);
                    calls[0]++;
                }

                @Override
                public void stepEnded(int position) {
                    assertEquals(steps[0]++, position);
                }
            };
            try (LlamaDecoder d = new LlamaDecoder(model, seq, 48, false, observer)) {
                DecodeLoop.run(d, model.tokenizer(), new int[] {1}, tokens, new Sampler(c.vocabSize(), 0f, 1f, 0),
                        false, null);
                assertEquals(tokens, steps[0]);
                assertEquals(tokens * c.layers(), calls[0]);
                long expected = 0;
                for (int pos = 0; pos < tokens; pos++) {
                    expected += (long) c.layers() * Math.min(3, pos / 16 + 1);
                }
                assertEquals(expected, d.pagesRead());
                assertEquals(48, d.budgetTokens());
            }
        }
    }

    @Test
    void shouldProduceTheSameTokensWhetherTheSlowTierIsReadOnItsOwnThreadOrNot() {
        LlamaConfig c = model.config();
        // Half the pages in each tier (the defaults), so most steps read from both lanes.
        int[][] runs = new int[2][];
        for (int r = 0; r < 2; r++) {
            try (TieredKvCache cache = CacheConfig.defaults().build(c, 120); Sequence seq = cache.newSequence();
                    LlamaDecoder d = new LlamaDecoder(model, seq, 64, r == 1, null)) {
                runs[r] = DecodeLoop.run(d, model.tokenizer(), new int[] {1}, 120, new Sampler(c.vocabSize(), 0f, 1f, 0),
                        false, null);
            }
        }
        assertArrayEquals(runs[0], runs[1]);
    }

    @Test
    void shouldDecodeDenselyWithMassesWhenObserved() {
        LlamaConfig c = model.config();
        int[] dense = LlamaGreedyTest.greedy(model, 50, 0, CacheConfig.defaults());
        int[] counts = new int[1];
        try (TieredKvCache cache = CacheConfig.defaults().build(c, 50); Sequence seq = cache.newSequence();
                LlamaDecoder d = new LlamaDecoder(model, seq, PageSelection.ALL, false,
                        (position, layer, pages, masses, count) -> {
                            assertEquals(position / 16 + 1, count, "dense reads every page");
                            float sum = 0f;
                            for (int i = 0; i < count; i++) {
                                assertEquals(i, pages[i]);
                                sum += masses[i];
                            }
                            assertEquals(c.heads(), sum, 1e-3);
                            counts[0]++;
                        })) {
            int[] observed = DecodeLoop.run(d, model.tokenizer(), new int[] {1}, 50,
                    new Sampler(c.vocabSize(), 0f, 1f, 0), false, null);
            assertArrayEquals(dense, observed);
            assertEquals(50 * c.layers(), counts[0]);
            assertEquals(PageSelection.ALL, d.budgetTokens());
        }
    }
}
