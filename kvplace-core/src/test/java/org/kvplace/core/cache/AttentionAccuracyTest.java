package org.kvplace.core.cache;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.memory.TierKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


/**
 * Attention through the cache with the scalar kernel equals a naive double-precision reference
 * computed from the appended values, within 1e-5 relative, dense and sparse, for GQA ratios
 * 1, 2, 4 and 8, with pages spread over both tiers.
 */
class AttentionAccuracyTest {

    static final double TOLERANCE = 1e-5;

    @ParameterizedTest(name = "gqa={0} headDim={1} tokens={2} {3}")
    @CsvSource({
        "1, 16, 301, F32", "2, 16, 301, F32", "4, 16, 301, F32", "8, 16, 301, F32",
        "1, 64, 77, F32", "4, 128, 1000, F32", "8, 8, 17, F32", "2, 32, 1, F32",
        "2, 16, 301, F16", "8, 64, 200, F16"})
    void shouldMatchDoublePrecisionReference(int gqa, int headDim, int tokens, ElementType type) {
        int kvHeads = 2;
        int queryHeads = kvHeads * gqa;
        ModelShape shape = new ModelShape(1, kvHeads, headDim, tokens);
        int pages = (tokens + 15) / 16;
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(16).elementType(type)
                .kernel(Kernels.scalar()).fastTierPages(pages / 2).slowTierPages(pages).build();
             Sequence seq = cache.newSequence()) {
            SplittableRandom rnd = new SplittableRandom(gqa * 1000L + headDim + tokens);
            double[][] keys = new double[tokens][];
            double[][] values = new double[tokens][];
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            for (int t = 0; t < tokens; t++) {
                keys[t] = new double[k.length];
                values[t] = new double[v.length];
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) rnd.nextGaussian();
                    v[i] = (float) rnd.nextGaussian();
                    keys[t][i] = type.round(k[i]);
                    values[t][i] = type.round(v[i]);
                }
                seq.append(0, k, v);
            }
            if (pages > 1) {
                assertEquals(TierKind.SLOW, cache.tierOf(seq.pageHandle(0, pages - 1)), "pages should span both tiers");
            }
            float[] q = new float[queryHeads * headDim];
            for (int i = 0; i < q.length; i++) {
                q[i] = (float) (2 * rnd.nextGaussian());
            }
            float[] out = new float[q.length];

            seq.attend(0, q, out);
            assertClose(reference(q, keys, values, kvHeads, headDim, IntStream.range(0, tokens).toArray()), out);

            int[] selected = IntStream.range(0, pages).filter(p -> p == 0 || p == pages - 1 || rnd.nextInt(3) == 0)
                    .toArray();
            seq.attend(0, q, out, selected, selected.length);
            int[] selectedTokens = IntStream.of(selected)
                    .flatMap(p -> IntStream.range(p * 16, Math.min(tokens, p * 16 + 16))).toArray();
            assertClose(reference(q, keys, values, kvHeads, headDim, selectedTokens), out);
        }
    }

    /** softmax(q.k / sqrt(d)) . V per query head, in double, over the given tokens. */
    static double[] reference(float[] q, double[][] keys, double[][] values, int kvHeads, int headDim, int[] tokens) {
        int queryHeads = q.length / headDim;
        int group = queryHeads / kvHeads;
        double[] out = new double[q.length];
        for (int h = 0; h < queryHeads; h++) {
            int kv = h / group;
            double[] scores = new double[tokens.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < tokens.length; i++) {
                double s = 0;
                for (int d = 0; d < headDim; d++) {
                    s += q[h * headDim + d] * keys[tokens[i]][kv * headDim + d];
                }
                scores[i] = s / Math.sqrt(headDim);
                max = Math.max(max, scores[i]);
            }
            double sum = 0;
            for (int i = 0; i < tokens.length; i++) {
                scores[i] = Math.exp(scores[i] - max);
                sum += scores[i];
            }
            for (int i = 0; i < tokens.length; i++) {
                for (int d = 0; d < headDim; d++) {
                    out[h * headDim + d] += scores[i] / sum * values[tokens[i]][kv * headDim + d];
                }
            }
        }
        return out;
    }

    /** Relative to the largest magnitude of the head's reference output. */
    static void assertClose(double[] want, float[] got) {
        assertEquals(want.length, got.length);
        double scale = 0;
        for (double w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]) / Math.max(scale, 1e-30);
            assertTrue(err <= TOLERANCE, "element " + i + ": got " + got[i] + ", reference " + want[i]
                    + ", relative error " + err);
        }
    }
}
