package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;

/** Matrix-vector products split over threads give the one-thread logits bit for bit, on stories260K. */
class ThreadedDecodeTest extends Stories260KTest {

    private static final int TOKENS = 120;

    /** Every step's logits (copies) of a greedy run from BOS; {@code pool == null} for the one-thread path. */
    private static List<float[]> greedyLogits(MatVecPool pool) {
        LlamaConfig c = model.config();
        List<float[]> steps = new ArrayList<>();
        try (KvPlace kv = KvPlace.builder().cache(CacheConfig.defaults().builder(c, TOKENS)).queryHeads(c.heads())
                .policy("static").build(); KvSequence seq = kv.newSequence();
                LlamaDecoder d = pool == null ? new LlamaDecoder(model, seq, null)
                        : new LlamaDecoder(model, seq, null, pool)) {
            int token = model.tokenizer().bos();
            for (int i = 0; i < TOKENS; i++) {
                float[] logits = d.forward(token);
                steps.add(logits.clone());
                token = Sampler.argmax(logits);
            }
        }
        return steps;
    }

    /**
     * A row's value does not depend on the chunk or thread that computes it, so the split itself changes no bit
     * ({@link MatVecPoolTest}); but the Vector API's interpreted and compiled forms of a reduction may
     * add in different orders, so a cold run can differ from a warm one in the last bit, with one
     * thread as with several. Both runs are therefore compared warm: the same greedy tokens, and
     * logits equal to within float rounding.
     */
    @ParameterizedTest
    @CsvSource({"2, 1", "2, 4", "3, 7", "4, 64"})
    void shouldDecodeTheSameTokensAndLogitsForEveryThreadCount(int threads, int chunkRows) {
        greedyLogits(null); // warm-up: JIT-compile the one-thread path
        // threshold 0: even stories260K's 64 x 64 matrices are split into chunks
        greedyLogits(new MatVecPool(threads, chunkRows, 0));
        List<float[]> one = greedyLogits(null);
        List<float[]> many = greedyLogits(new MatVecPool(threads, chunkRows, 0));
        for (int i = 0; i < TOKENS; i++) {
            assertEquals(Sampler.argmax(one.get(i)), Sampler.argmax(many.get(i)), "token of step " + i);
            float[] a = one.get(i);
            float[] b = many.get(i);
            for (int j = 0; j < a.length; j++) {
                assertEquals(a[j], b[j], 1e-4f * Math.max(1f, Math.abs(a[j])), "logit " + j + " of step " + i
                        + " with " + threads + " threads");
            }
        }
    }

    @Test
    void shouldDecodeTheKnownStoryWithTwoThreadsThroughThePublicConstructor() {
        LlamaConfig c = model.config();
        try (KvPlace kv = KvPlace.builder().cache(CacheConfig.defaults().builder(c, 60)).queryHeads(c.heads())
                .policy("static").build(); KvSequence seq = kv.newSequence();
                LlamaDecoder d = new LlamaDecoder(model, seq, null, 2)) {
            assertEquals(2, d.threads());
            int[] tokens = DecodeLoop.run(d, model.tokenizer(), new int[] {model.tokenizer().bos()}, 60,
                    new Sampler(c.vocabSize(), 0f, 1f, 0), false, null);
            String text = model.tokenizer().decode(LlamaGreedyTest.prepend(model.tokenizer().bos(), tokens));
            assertTrue(text.startsWith(LlamaGreedyTest.EXPECTED_START), text);
            assertTrue(d.matvecNanos() > 0 && d.attentionNanos() > 0, d.matvecNanos() + " " + d.attentionNanos());
        }
    }

    @Test
    void shouldRejectFewerThanOneThread() {
        LlamaConfig c = model.config();
        try (KvPlace kv = KvPlace.builder().cache(CacheConfig.defaults().builder(c, 8)).queryHeads(c.heads())
                .policy("static").build(); KvSequence seq = kv.newSequence()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LlamaDecoder(model, seq, null, 0));
            assertTrue(e.getMessage().contains("threads must be >= 1, got 0"), e.getMessage());
        }
    }
}
