package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void shouldPickTheLargestLogitWhenGreedyAndTheLowestIndexOnTies() {
        Sampler s = new Sampler(4, 0f, 1f, 1);
        assertEquals(2, s.sample(new float[] {0f, 1f, 3f, -1f}));
        assertEquals(1, s.sample(new float[] {0f, 3f, 3f, -1f}));
    }

    @Test
    void shouldSampleInProportionToSoftmaxProbabilities() {
        // softmax(0, ln 3) = (0.25, 0.75)
        Sampler s = new Sampler(2, 1f, 1f, 7);
        int ones = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            ones += s.sample(new float[] {0f, (float) Math.log(3)});
        }
        assertEquals(0.75, ones / (double) n, 0.015);
    }

    @Test
    void shouldSampleOnlyInsideTheNucleus() {
        float[] probs = {0.5f, 0.3f, 0.15f, 0.05f};
        Sampler s = new Sampler(4, 1f, 0.7f, 11);
        int[] counts = new int[4];
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            float[] logits = new float[4];
            for (int j = 0; j < 4; j++) {
                logits[j] = (float) Math.log(probs[j]);
            }
            counts[s.sample(logits)]++;
        }
        assertEquals(0, counts[2] + counts[3], "tokens outside the 0.7 nucleus were sampled");
        assertEquals(0.5 / 0.8, counts[0] / (double) n, 0.015);
    }

    @Test
    void shouldKeepTheWholeDistributionWhenTopPIsJustBelowOne() {
        // 512 tokens, one of them 3x as likely as each other: with top-p 0.9999999 rounding keeps the
        // running sum below top-p, and the sampler must then keep every candidate, not only the best.
        Sampler s = new Sampler(512, 1f, 0.9999999f, 5);
        int best = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            float[] logits = new float[512];
            logits[17] = (float) Math.log(3);
            if (s.sample(logits) == 17) {
                best++;
            }
        }
        assertEquals(3.0 / 514, best / (double) n, 0.003);
    }

    @Test
    void shouldFallBackToTheBestTokenWhenNoTokenReachesATinyNucleusCutoff() {
        Sampler s = new Sampler(512, 1f, 0.001f, 1);
        int t = s.sample(new float[512]);
        assertTrue(t >= 0 && t < 512, "token " + t);
    }

    @Test
    void shouldRepeatTheSameSequenceForTheSameSeed() {
        int[] a = draw(new Sampler(8, 0.9f, 0.95f, 42));
        int[] b = draw(new Sampler(8, 0.9f, 0.95f, 42));
        int[] c = draw(new Sampler(8, 0.9f, 0.95f, 43));
        assertArrayEquals(a, b);
        assertTrue(!java.util.Arrays.equals(a, c), "different seeds gave the same 64 draws");
    }

    private static int[] draw(Sampler s) {
        int[] out = new int[64];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.sample(new float[] {0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f});
        }
        return out;
    }

    @Test
    void shouldRejectBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(4, -0.1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(4, Float.NaN, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(4, 1f, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(4, 1f, 1.5f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(0, 1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(2, 1f, 1f, 0).sample(new float[3]));
    }
}
