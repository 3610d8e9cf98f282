package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.attention.PageSelection;

class DecodeLoopTest extends Stories260KTest {

    @Test
    void shouldStreamEveryGeneratedTokenWithItsPredecessor() {
        LlamaConfig c = model.config();
        int[] prompt = model.tokenizer().encode("Lily and Tom", true, false);
        List<int[]> seen = new ArrayList<>();
        try (TieredKvCache cache = CacheConfig.defaults().build(c, 40); Sequence seq = cache.newSequence()) {
            LlamaDecoder d = new LlamaDecoder(model, seq, PageSelection.ALL);
            int[] out = DecodeLoop.run(d, model.tokenizer(), prompt, 40 - prompt.length + 1,
                    new Sampler(c.vocabSize(), 0f, 1f, 0), false, (prev, next) -> seen.add(new int[] {prev, next}));
            assertEquals(out.length, seen.size());
            assertArrayEquals(new int[] {prompt[prompt.length - 1], out[0]}, seen.get(0));
            for (int i = 1; i < out.length; i++) {
                assertArrayEquals(new int[] {out[i - 1], out[i]}, seen.get(i));
            }
            assertEquals(40, d.position());
        }
    }

    @Test
    void shouldStopAtTheEndOfAStoryWhenAsked() {
        LlamaConfig c = model.config();
        try (TieredKvCache cache = CacheConfig.defaults().build(c, 512); Sequence seq = cache.newSequence()) {
            LlamaDecoder d = new LlamaDecoder(model, seq, PageSelection.ALL);
            int[] out = DecodeLoop.run(d, model.tokenizer(), new int[] {1}, 512, new Sampler(c.vocabSize(), 0f, 1f, 0),
                    true, null);
            int last = out[out.length - 1];
            // The greedy story from BOS ends (with BOS) after 346 tokens.
            assertTrue(out.length < 512 && (last == 1 || last == 2), "stopped at " + out.length + " on " + last);
            for (int i = 0; i < out.length - 1; i++) {
                assertTrue(out[i] != 1 && out[i] != 2, "end token at " + i + " but decoding went on");
            }
        }
    }

    @Test
    void shouldRejectARunThatDoesNotFitTheCache() {
        LlamaConfig c = model.config();
        try (TieredKvCache cache = CacheConfig.defaults().build(c, 10); Sequence seq = cache.newSequence()) {
            LlamaDecoder d = new LlamaDecoder(model, seq, PageSelection.ALL);
            Sampler s = new Sampler(c.vocabSize(), 0f, 1f, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DecodeLoop.run(d, model.tokenizer(), new int[] {1, 2, 3}, 9, s, false, null));
            assertTrue(e.getMessage().contains("need 11 positions"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> DecodeLoop.run(d, model.tokenizer(), new int[0], 1, s,
                    false, null));
            assertThrows(IllegalArgumentException.class, () -> d.forward(c.vocabSize()));
            for (int i = 0; i < 10; i++) {
                d.forward(1);
            }
            assertThrows(IllegalStateException.class, () -> d.forward(1));
        }
    }

    @Test
    void shouldRejectACacheOfAnotherShape() {
        LlamaConfig other = new LlamaConfig(64, 5, 8, 8, 8, 172, 512, 512, 1e-5f, 10000f);
        try (TieredKvCache cache = CacheConfig.defaults().build(other, 10); Sequence seq = cache.newSequence()) {
            assertThrows(IllegalArgumentException.class, () -> new LlamaDecoder(model, seq, PageSelection.ALL));
        }
    }

    @Test
    void shouldRejectABudgetThatIsNotPositive() {
        try (TieredKvCache cache = CacheConfig.defaults().build(model.config(), 10); Sequence seq = cache.newSequence()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LlamaDecoder(model, seq, 0));
            assertTrue(e.getMessage().contains("got 0"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new LlamaDecoder(model, seq, -16));
        }
    }
}
