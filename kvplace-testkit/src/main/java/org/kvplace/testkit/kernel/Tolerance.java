package org.kvplace.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Float tolerance between two kernels that sum in different orders: it grows with the number of
 * tokens and with the magnitude of the score terms (whose rounding moves the softmax weights), and
 * is relative to the largest value read.
 */
public final class Tolerance {

    private Tolerance() {}

    /**
     * The tolerance of attention over {@code pages[0 .. count-1]}: the largest |value| read times
     * {@code 1e-5 + 1e-6 sqrt(tokens) + 1e-6 max|score terms|}.
     */
    public static double of(TestLayer layer, float[] q, int[] pages, int count) {
        int headDim = layer.layout().headDim();
        int queryHeads = q.length / headDim;
        int group = queryHeads / layer.layout().kvHeads();
        int p = layer.layout().pageTokens();
        double scale = 1 / Math.sqrt(headDim);
        double vMax = 0;
        double termMax = 0;
        int tokens = 0;
        for (int i = 0; i < count; i++) {
            for (int t = pages[i] * p; t < pages[i] * p + layer.pageTokens(pages[i]); t++) {
                tokens++;
                for (float v : layer.values()[t]) {
                    vMax = Math.max(vMax, Math.abs(v));
                }
                for (int h = 0; h < queryHeads; h++) {
                    int kv = h / group;
                    double terms = 0;
                    for (int d = 0; d < headDim; d++) {
                        terms += Math.abs((double) q[h * headDim + d] * layer.keys()[t][kv * headDim + d]);
                    }
                    termMax = Math.max(termMax, terms * scale);
                }
            }
        }
        return vMax * (1e-5 + 1e-6 * Math.sqrt(tokens) + 1e-6 * termMax) + Float.MIN_NORMAL;
    }

    /** Asserts every element of {@code actual} within {@code tol} of {@code expected}. */
    public static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, what + ": element " + i);
        }
    }
}
