package org.kvplace.core.kernel;

/** Attention computed the obvious way, in double precision, two passes: the test's own expectation. */
final class Oracle {

    final double[] out;
    final double[] mass; // per position of the pages given

    private Oracle(double[] out, double[] mass) {
        this.out = out;
        this.mass = mass;
    }

    static Oracle attend(TestLayer layer, float[] q, int[] pages, int count) {
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
                        out[h * headDim + d] += w * layer.values[t][kv * headDim + d];
                    }
                }
            }
        }
        return new Oracle(out, mass);
    }

    static double score(TestLayer layer, float[] q, int h, int kv, int t) {
        int headDim = layer.layout().headDim();
        double s = 0;
        for (int d = 0; d < headDim; d++) {
            s += (double) q[h * headDim + d] * layer.keys[t][kv * headDim + d];
        }
        return s;
    }

    /** Largest |value| over the pages given (output scale for tolerances). */
    static double valueScale(TestLayer layer, int[] pages, int count) {
        double m = 0;
        int p = layer.layout().pageTokens();
        for (int i = 0; i < count; i++) {
            for (int t = pages[i] * p; t < pages[i] * p + layer.pageTokens(pages[i]); t++) {
                for (float v : layer.values[t]) {
                    m = Math.max(m, Math.abs(v));
                }
            }
        }
        return m;
    }

    static int[] allPages(int n) {
        int[] pages = new int[n];
        for (int i = 0; i < n; i++) {
            pages[i] = i;
        }
        return pages;
    }
}
