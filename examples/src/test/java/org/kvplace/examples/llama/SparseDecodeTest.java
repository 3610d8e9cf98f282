package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;

class SparseDecodeTest {

    static LlamaModel model;

    @BeforeAll
    static void load() throws IOException {
        model = LlamaModel.load(TestModels.stories260K());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

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
    void shouldReportThePagesEachLayerReadAndTheEndOfEveryStep() {
        LlamaConfig c = model.config();
        CacheConfig cc = CacheConfig.defaults();
        int tokens = 70;
        int[] steps = new int[1];
        int[] calls = new int[1];
        try (TieredKvCache cache = cc.build(c, tokens); Sequence seq = cache.newSequence()) {
            PageSelector selector = new PageSelector(c.layers(), cache.pagesPerLayer(), 16, 3, c.heads(), c.kvHeads(),
                    c.headDim());
            AttentionObserver observer = new AttentionObserver() {
                @Override
                public void attended(int position, int layer, int[] pages, int count) {
                    int newest = position / 16;
                    assertEquals(steps[0], position);
                    assertEquals(calls[0] % c.layers(), layer);
                    assertEquals(Math.min(3, newest + 1), count, "pages read at position " + position);
                    assertEquals(0, pages[0]);
                    assertEquals(newest, pages[count - 1]);
                    calls[0]++;
                }

                @Override
                public void stepEnded(int position) {
                    assertEquals(steps[0]++, position);
                }
            };
            LlamaDecoder d = new LlamaDecoder(model, seq, selector, observer);
            DecodeLoop.run(d, model.tokenizer(), new int[] {1}, tokens, new Sampler(c.vocabSize(), 0f, 1f, 0), false,
                    null);
            assertEquals(tokens, steps[0]);
            assertEquals(tokens * c.layers(), calls[0]);
            long expected = 0;
            for (int pos = 0; pos < tokens; pos++) {
                expected += (long) c.layers() * Math.min(3, pos / 16 + 1);
            }
            assertEquals(expected, d.pagesRead());
        }
    }

    @Test
    void shouldAlwaysSelectSinkAndNewestAndTheBestBoundedPage() {
        // 1 layer, 6 pages of 2 tokens, 2 query heads over 1 KV head of dim 2; budget 3 pages.
        PageSelector s = new PageSelector(1, 6, 2, 3, 2, 1, 2);
        float[][] keys = {{0, 0}, {0, 0}, {1, 0}, {0, 1}, {5, 0}, {4, 1}, {-9, 0}, {0, 0}, {0, 2}, {2, 0}, {0, 0}};
        for (int t = 0; t < keys.length; t++) {
            s.observe(0, t, keys[t]);
        }
        int[] out = new int[6];
        // Head 0 q=(1,0) bounds pages 1..4 by 1, 5, 0, 2; head 1 q=(0,-1) bounds them all by 0: page 2 wins.
        int n = s.select(0, new float[] {1, 0, 0, -1}, out);
        assertEquals(3, n);
        assertArrayEquals(new int[] {0, 2, 5}, Arrays.copyOf(out, n));
        // q=(-1,0) for both heads: page 3 holds -9 -> bound 9 beats every other page.
        n = s.select(0, new float[] {-1, 0, -1, 0}, out);
        assertArrayEquals(new int[] {0, 3, 5}, Arrays.copyOf(out, n));
    }

    @Test
    void shouldSelectEveryPageWhenTheyFitTheBudget() {
        PageSelector s = new PageSelector(1, 4, 2, 4, 1, 1, 1);
        for (int t = 0; t < 7; t++) {
            s.observe(0, t, new float[] {t});
        }
        int[] out = new int[4];
        int n = s.select(0, new float[] {1}, out);
        assertArrayEquals(new int[] {0, 1, 2, 3}, Arrays.copyOf(out, n));
    }

    @Test
    void shouldRejectABudgetBelowTwoPages() {
        assertThrows(IllegalArgumentException.class, () -> new PageSelector(1, 4, 2, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new PageSelector(1, 4, 2, 2, 3, 2, 1));
    }
}
