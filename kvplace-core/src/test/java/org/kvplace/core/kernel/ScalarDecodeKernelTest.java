package org.kvplace.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;

class ScalarDecodeKernelTest {

    private static final DecodeKernel SCALAR = Kernels.scalar();

    @ParameterizedTest
    @CsvSource({
        "8, 1, 1, 1, F32", "8, 3, 2, 37, F32", "16, 5, 4, 100, F16", "64, 16, 8, 161, F32", "80, 7, 2, 50, F16",
        "96, 64, 1, 130, F32", "128, 16, 4, 33, F16"})
    void shouldMatchTwoPassSoftmaxOracleAndReportMass(int headDim, int pageTokens, int group, int tokens,
            ElementType type) {
        int kvHeads = 2;
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        try (TestLayer layer = new TestLayer(layout, tokens, 11, type.bytes() * 3L, TestLayer.Fill.UNIFORM, 0.5)) {
            float[] q = TestLayer.query(kvHeads * group, headDim, 5, 1f);
            int n = layer.pageCount();
            int[] pages = Oracle.allPages(n);
            Oracle expected = Oracle.attend(layer, q, pages, n);

            float[] out = new float[q.length];
            SCALAR.attend(layer, q, out, null, 0);
            assertClose(expected.out, out, 1e-5);

            AttentionState state = new AttentionState(q.length / headDim, headDim, n);
            SCALAR.attendPages(layer, q, pages, 0, n, state);
            float[] out2 = new float[q.length];
            state.finish(out2);
            assertClose(expected.out, out2, 1e-5);
            float total = 0f;
            for (int i = 0; i < n; i++) {
                assertEquals(expected.mass[i], state.pageMass(i, state), 1e-4, "mass of page " + i);
                total += state.pageMass(i, state);
            }
            assertEquals(kvHeads * group, total, 1e-3);
        }
    }

    @ParameterizedTest
    @CsvSource({"8, 4, 1, 40", "64, 16, 4, 300", "80, 7, 2, 90", "128, 16, 8, 64"})
    void shouldBoundEveryTokenScoreOfEveryPage(int headDim, int pageTokens, int group, int tokens) {
        int kvHeads = 2;
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, tokens, 3, 0, TestLayer.Fill.UNIFORM, 0)) {
            float[] q = TestLayer.query(kvHeads * group, headDim, 9, 2f);
            float[] scores = new float[layer.pageCount()];
            SCALAR.scorePages(layer, q, scores);
            for (int p = 0; p < layer.pageCount(); p++) {
                double bestBound = Double.NEGATIVE_INFINITY;
                double bestScore = Double.NEGATIVE_INFINITY;
                for (int h = 0; h < kvHeads * group; h++) {
                    int kv = h / group;
                    double bound = 0;
                    for (int d = 0; d < headDim; d++) {
                        double qd = q[h * headDim + d];
                        int t0 = p * pageTokens;
                        double lo = Double.POSITIVE_INFINITY;
                        double hi = Double.NEGATIVE_INFINITY;
                        for (int t = t0; t < t0 + layer.pageTokens(p); t++) {
                            lo = Math.min(lo, layer.keys[t][kv * headDim + d]);
                            hi = Math.max(hi, layer.keys[t][kv * headDim + d]);
                        }
                        bound += Math.max(qd * lo, qd * hi);
                    }
                    bestBound = Math.max(bestBound, bound);
                    for (int t = p * pageTokens; t < p * pageTokens + layer.pageTokens(p); t++) {
                        bestScore = Math.max(bestScore, Oracle.score(layer, q, h, kv, t));
                    }
                }
                assertEquals(bestBound, scores[p], 1e-4 * headDim, "bound of page " + p);
                assertTrue(scores[p] >= bestScore - 1e-4 * headDim, "page " + p + " bound " + scores[p]
                        + " below its best score " + bestScore);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"64, 16, 4, 333, F32", "80, 5, 2, 101, F16", "8, 1, 8, 17, F32"})
    void shouldMergeTwoLanesIntoTheOnePassResult(int headDim, int pageTokens, int group, int tokens, ElementType type) {
        int kvHeads = 2;
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        try (TestLayer layer = new TestLayer(layout, tokens, 21, 0, TestLayer.Fill.UNIFORM, 0)) {
            float[] q = TestLayer.query(kvHeads * group, headDim, 1, 3f);
            int n = layer.pageCount();
            int queryHeads = kvHeads * group;
            AttentionState one = new AttentionState(queryHeads, headDim, n);
            SCALAR.attendPages(layer, q, Oracle.allPages(n), 0, n, one);
            float[] expected = new float[q.length];
            one.finish(expected);

            // lane A: pages 0, 3, 6, ...; lane B: the rest (read in a different order of pages)
            int[] a = new int[n];
            int[] b = new int[n];
            int na = 0;
            int nb = 0;
            for (int p = 0; p < n; p++) {
                if (p % 3 == 0) {
                    a[na++] = p;
                } else {
                    b[nb++] = p;
                }
            }
            AttentionState sa = new AttentionState(queryHeads, headDim, n);
            AttentionState sb = new AttentionState(queryHeads, headDim, n);
            SCALAR.attendPages(layer, q, a, 0, na, sa);
            SCALAR.attendPages(layer, q, b, 0, nb, sb);
            sb.merge(sa);
            float[] merged = new float[q.length];
            sb.finish(merged);
            for (int i = 0; i < q.length; i++) {
                assertEquals(expected[i], merged[i], 1e-5f * (1 + Math.abs(expected[i])), "element " + i);
            }
            for (int i = 0; i < na; i++) {
                assertEquals(one.pageMass(a[i], one), sa.pageMass(i, sb), 1e-5, "mass of page " + a[i]);
            }
            for (int i = 0; i < nb; i++) {
                assertEquals(one.pageMass(b[i], one), sb.pageMass(i, sb), 1e-5, "mass of page " + b[i]);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"64, 16, 4, 100", "8, 3, 1, 10"})
    void shouldChargeEachPageOnceWithItsBytes(int headDim, int pageTokens, int group, int tokens) {
        PageLayout layout = new PageLayout(pageTokens, 2, headDim, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, tokens, 2, 0, TestLayer.Fill.UNIFORM, 0.5)) {
            float[] q = TestLayer.query(2 * group, headDim, 1, 1f);
            int n = layer.pageCount();
            SCALAR.attendPages(layer, q, Oracle.allPages(n), 0, n, new AttentionState(2 * group, headDim, 0));
            long[] expected = new long[n];
            for (int p = 0; p < n; p++) {
                expected[p] = layer.pageTokens(p) * layout.tokenBytes();
            }
            assertArrayEquals(expected, layer.charged);
        }
    }

    static void assertClose(double[] expected, float[] actual, double relTol) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relTol * (1 + scale), "element " + i);
        }
    }
}
