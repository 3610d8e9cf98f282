package org.kvplace.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The log-sum-exp merge of {@link AttentionState}s in any order against the exact sum: states are
 * made from known (score, value) pairs, merged in a random order and grouping, and the output must
 * equal the softmax over all pairs computed in double precision.
 */
class AttentionStateMergePropertyTest {

    @Property(tries = 300, seed = "1031")
    void shouldGiveTheSoftmaxOfAllTokensWhateverTheMergeOrder(@ForAll @IntRange(min = 1, max = 8) int parts,
            @ForAll @IntRange(min = 1, max = 3) int heads, @ForAll @IntRange(min = 1, max = 5) int headDim,
            @ForAll @IntRange(min = 0, max = 60) int scoreSpread, @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        AttentionState[] states = new AttentionState[parts];
        int tokens = 0;
        double[][] scores = new double[parts * 6][heads];
        float[][][] values = new float[parts * 6][heads][headDim];
        for (int i = 0; i < parts; i++) {
            states[i] = new AttentionState(heads, headDim, 0);
            int n = rnd.nextInt(6); // a part may be empty
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    float s = (float) ((rnd.nextDouble() * 2 - 1) * scoreSpread);
                    scores[tokens][h] = s;
                    for (int d = 0; d < headDim; d++) {
                        values[tokens][h][d] = (float) (rnd.nextDouble() * 2 - 1);
                    }
                    add(states[i], h, s, values[tokens][h]);
                }
                tokens++;
            }
        }
        if (tokens == 0) {
            return; // nothing attended: finish() refuses, which AttentionStateTest covers
        }
        // Merge in a random order, through a random tree: pairs merge into one until one is left.
        int[] order = new int[parts];
        for (int i = 0; i < parts; i++) {
            order[i] = i;
        }
        int live = parts;
        while (live > 1) {
            int a = rnd.nextInt(live);
            int b = rnd.nextInt(live - 1);
            if (b >= a) {
                b++;
            }
            states[order[a]].merge(states[order[b]]);
            order[b] = order[--live];
            if (a == live) {
                a = b;
            }
        }
        float[] out = new float[heads * headDim];
        states[order[0]].finish(out);
        for (int h = 0; h < heads; h++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < tokens; t++) {
                m = Math.max(m, scores[t][h]);
            }
            double sum = 0;
            double[] acc = new double[headDim];
            for (int t = 0; t < tokens; t++) {
                double w = Math.exp(scores[t][h] - m);
                sum += w;
                for (int d = 0; d < headDim; d++) {
                    acc[d] += w * values[t][h][d];
                }
            }
            for (int d = 0; d < headDim; d++) {
                assertEquals(acc[d] / sum, out[h * headDim + d], 1e-5, "head " + h + " element " + d);
            }
        }
    }

    /** Folds one token into a state the way a kernel does (online softmax). */
    private static void add(AttentionState st, int h, float score, float[] v) {
        float[] mx = st.max();
        float[] sum = st.sum();
        float[] acc = st.acc();
        int base = h * v.length;
        if (score > mx[h]) {
            float c = (float) Math.exp(mx[h] - score);
            sum[h] *= c;
            for (int d = 0; d < v.length; d++) {
                acc[base + d] *= c;
            }
            mx[h] = score;
        }
        float w = (float) Math.exp(score - mx[h]);
        sum[h] += w;
        for (int d = 0; d < v.length; d++) {
            acc[base + d] += w * v[d];
        }
    }
}
