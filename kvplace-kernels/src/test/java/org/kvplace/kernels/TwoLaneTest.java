package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.testkit.kernel.TestLayer;
import org.kvplace.testkit.kernel.Tolerance;

/** Splitting the pages into a fast and a slow lane and merging by log-sum-exp gives the one-pass result. */
class TwoLaneTest {

    private static final DecodeKernel KERNEL = Kernels.lookup();

    @ParameterizedTest
    @CsvSource({"128, 16, 4, 2000, F32, 0.5", "80, 7, 2, 333, F16, 0.3", "64, 1, 8, 50, F32, 0.9",
        "256, 64, 1, 4099, F16, 0.5"})
    void shouldMergeTwoLanesIntoTheOnePassResult(int headDim, int pageTokens, int group, int tokens, ElementType type,
            double slowFraction) {
        int kvHeads = 2;
        int queryHeads = kvHeads * group;
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        try (TestLayer layer = new TestLayer(layout, tokens, 99, 4, TestLayer.Fill.UNIFORM, slowFraction);
                SparseAttention lanes = SparseAttention.builder(KERNEL, queryHeads, headDim, tokens)
                        .parallelLanes(true).build()) {
            float[] q = TestLayer.query(queryHeads, headDim, 3, 2f);
            int n = layer.pageCount();
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            AttentionState one = new AttentionState(queryHeads, headDim, n);
            KERNEL.attendPages(layer, q, all, 0, n, one);
            float[] expected = new float[q.length];
            one.finish(expected);

            float[] merged = new float[q.length];
            lanes.attend(layer, q, merged);
            assertTrue(lanes.fastLanePages() > 0 && lanes.slowLanePages() > 0, "both lanes read pages");
            assertEquals(n, lanes.selectedCount());
            double tol = 1e-6 * (1 + Math.log(tokens));
            Tolerance.assertClose(expected, merged, tol, "merged lanes");
            double total = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(i, lanes.selectedPage(i));
                assertEquals(layer.tier(i), lanes.pageTier(i));
                assertEquals(one.pageMass(i, one), lanes.pageMass(i), 1e-5, "mass of page " + i);
                total += lanes.pageMass(i);
            }
            assertEquals(queryHeads, total, 1e-3);
            long[] expectedCharges = new long[n];
            for (int p = 0; p < n; p++) {
                expectedCharges[p] = 2L * layer.pageTokens(p) * layout.tokenBytes(); // one pass + the lanes
            }
            assertArrayEquals(expectedCharges, layer.charged());
        }
    }
}
