package org.kvplace.testkit.kernel;

/**
 * Attention computed the obvious way, in double precision, two passes: the test's own expectation,
 * independent of every {@link org.kvplace.core.kernel.DecodeKernel}.
 */
public final class Oracle {

    /** The attention output, {@code queryHeads * headDim}. */
    public final double[] out;
    /** The attention mass (summed over query heads) per position of the pages given. */
    public final double[] mass;

    private Oracle(double[] out, double[] mass) {
        this.out = out;
        this.mass = mass;
    }

    /** Attention of {@code q} over {@code pages[0 .. count-1]} of {@code layer}. */
    public static Oracle attend(TestLayer layer, float[] q, int[] pages, int count) {
        int headDim = layer.layout().headDim();
        int queryHeads = q.length / headDim;
        int group = queryHeads / layer.layout().kvHeads();
        int p = layer.layout().pageTokens();
        double[] out = new double[q.length];
        double[] mass = new double[count];
        double scale = 1.0 / Math.sqrt(headDim);
        for (int h = 0; h < queryHeads; h++) {
            int kv = h / group;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < count; i++) {
                for (int t = pages[i] * p; t < pages[i] * p + layer.pageTokens(pages[i]); t++) {
                    max = Math.max(max, score(layer, q, h, kv, t) * scale);
                }
            }
            double sum = 0;
            for (int i = 0; i < count; i++) {
                for (int t = pages[i] * p; t < pages[i] * p + layer.pageTokens(pages[i]); t++) {
                    sum += Math.exp(score(layer, q, h, kv, t) * scale - max);
                }
            }
            for (int i = 0; i < count; i++) {
                for (int t = pages[i] * p; t < pages[i] * p + layer.pageTokens(pages[i]); t++) {
                    double w = Math.exp(score(layer, q, h, kv, t) * scale - max) / sum;
                    mass[i] += w;
                    for (int d = 0; d < headDim; d++) {
                        out[h * headDim + d] += w * layer.values()[t][kv * headDim + d];
                    }
                }
            }
        }
        return new Oracle(out, mass);
    }

    /** The unscaled score {@code q_h . k_t} of query head {@code h} (reading KV head {@code kv}) at token {@code t}. */
    public static double score(TestLayer layer, float[] q, int h, int kv, int t) {
        int headDim = layer.layout().headDim();
        double s = 0;
        for (int d = 0; d < headDim; d++) {
            s += (double) q[h * headDim + d] * layer.keys()[t][kv * headDim + d];
        }
        return s;
    }

    /** Largest |value| over the pages given (output scale for tolerances). */
    public static double valueScale(TestLayer layer, int[] pages, int count) {
        double m = 0;
        int p = layer.layout().pageTokens();
        for (int i = 0; i < count; i++) {
            for (int t = pages[i] * p; t < pages[i] * p + layer.pageTokens(pages[i]); t++) {
                for (float v : layer.values()[t]) {
                    m = Math.max(m, Math.abs(v));
                }
            }
        }
        return m;
    }

    /**
     * Asserts {@code actual} within {@code relTol * (1 + max |out|)} of {@link #out}, element by element.
     */
    public void assertClose(float[] actual, double relTol) {
        org.junit.jupiter.api.Assertions.assertEquals(out.length, actual.length, "output length");
        double scale = 0;
        for (double e : out) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < out.length; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(out[i], actual[i], relTol * (1 + scale), "element " + i);
        }
    }

    /** Pages {@code 0 .. n-1} in order. */
    public static int[] allPages(int n) {
        return TestLayer.allPages(n);
    }
}
