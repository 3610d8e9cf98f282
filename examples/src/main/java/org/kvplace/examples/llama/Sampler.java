package org.kvplace.examples.llama;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy (temperature 0), or sampling from
 * {@code softmax(logits / temperature)}, optionally restricted to the nucleus (top-p: the smallest
 * set of most likely tokens whose probabilities sum to at least {@code p}). The random stream is
 * seeded, so a run is reproducible.
 *
 * <p>Not thread-safe. Buffers are allocated at construction; {@link #sample} does not allocate.
 */
public final class Sampler {

    private final float temperature;
    private final float topP;
    private final SplittableRandom random;
    private final long[] candidates;

    /**
     * @param vocabSize vocabulary size
     * @param temperature 0 for greedy, else a positive finite temperature
     * @param topP nucleus mass in (0, 1]; 1 samples from the whole distribution
     * @param seed random seed
     * @throws IllegalArgumentException on a negative or non-finite temperature or a top-p outside (0, 1]
     */
    public Sampler(int vocabSize, float temperature, float topP, long seed) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabSize must be positive, got " + vocabSize);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
        this.candidates = new long[vocabSize];
    }

    /** Index of the largest logit (the lowest index on ties). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The next token. Overwrites {@code logits} with probabilities unless greedy.
     *
     * @throws IllegalArgumentException if {@code logits} is longer than the vocabulary
     */
    public int sample(float[] logits) {
        if (logits.length > candidates.length) {
            throw new IllegalArgumentException("logits length " + logits.length + " > vocabSize " + candidates.length);
        }
        if (temperature == 0f) {
            return argmax(logits);
        }
        softmax(logits, temperature);
        float r = (float) random.nextDouble();
        if (topP >= 1f) {
            float cdf = 0f;
            for (int i = 0; i < logits.length; i++) {
                cdf += logits[i];
                if (r < cdf) {
                    return i;
                }
            }
            return logits.length - 1; // rounding
        }
        // Keep tokens that could be in the nucleus, sort them by probability (the bits of a
        // non-negative float order like the float), and sample within the top-p mass.
        float cutoff = (1f - topP) / Math.max(1, logits.length - 1);
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] >= cutoff) {
                candidates[n++] = ((long) Float.floatToIntBits(logits[i]) << 32) | i;
            }
        }
        if (n == 0) {
            return argmax(logits); // a near-uniform distribution with a tiny topP: no token reaches the cutoff
        }
        Arrays.sort(candidates, 0, n);
        float mass = 0f;
        int last = 0; // if rounding keeps the sum below topP, keep every candidate
        for (int j = n - 1; j >= 0; j--) {
            mass += Float.intBitsToFloat((int) (candidates[j] >>> 32));
            if (mass >= topP) {
                last = j;
                break;
            }
        }
        float target = r * mass;
        float cdf = 0f;
        for (int j = n - 1; j >= last; j--) {
            cdf += Float.intBitsToFloat((int) (candidates[j] >>> 32));
            if (target < cdf) {
                return (int) candidates[j];
            }
        }
        return (int) candidates[last];
    }

    /** In place: {@code p_i = exp((x_i - max) / t) / sum}. */
    static void softmax(float[] x, float t) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        float sum = 0f;
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.exp((x[i] - max) / t);
            sum += x[i];
        }
        for (int i = 0; i < x.length; i++) {
            x[i] /= sum;
        }
    }
}
