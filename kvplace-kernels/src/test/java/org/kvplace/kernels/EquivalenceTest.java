package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.testkit.kernel.TestLayer;
import org.kvplace.testkit.kernel.Tolerance;

/**
 * The active kernel against the scalar reference over awkward sizes: head dims that are and are not
 * multiples of the lane count, page sizes 1 to 64, token counts 1 to 4,099 (partial newest pages),
 * GQA ratios 1 to 8, unaligned slot offsets, f32 and f16, uniform and extreme values. Page scores
 * and selected pages must match exactly; outputs and page masses within a tolerance that scales
 * with length and score magnitude.
 */
class EquivalenceTest {

    private static final DecodeKernel SCALAR = Kernels.scalar();
    private static final DecodeKernel ACTIVE = Kernels.lookup();

    static Stream<Arguments> cases() {
        int[] headDims = {8, 64, 80, 96, 128, 256};
        int[] pageSizes = {1, 3, 7, 16, 17, 64};
        int[] tokenCounts = {1, 2, 15, 16, 17, 100, 1000, 4099};
        int[] groups = {1, 2, 4, 8};
        List<Arguments> list = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(2024);
        // Head dim x element type x fill x KV heads crossed (48 cases); page size, length and GQA ratio
        // drawn independently per case from a fixed seed.
        for (int i = 0; i < 48; i++) {
            int headDim = headDims[i % headDims.length];
            ElementType type = (i / 6) % 2 == 0 ? ElementType.F32 : ElementType.F16;
            TestLayer.Fill fill = (i / 12) % 2 == 0 ? TestLayer.Fill.UNIFORM : TestLayer.Fill.EXTREME;
            int kvHeads = 1 + (i / 24) % 2;
            int pageTokens = pageSizes[rnd.nextInt(pageSizes.length)];
            int tokens = tokenCounts[rnd.nextInt(tokenCounts.length)];
            int group = groups[rnd.nextInt(groups.length)];
            if ((long) tokens * headDim * group > 2_500_000) {
                group = 1; // keeps the scalar reference quick on the largest cases
            }
            long offset = type.bytes() * (long) rnd.nextInt(1, 16); // never 64-byte aligned by design
            list.add(Arguments.of(headDim, pageTokens, tokens, group, kvHeads, type, fill, offset));
        }
        return list.stream();
    }

    /**
     * Every head size of the vector paths (narrower than a vector: several tokens per vector; a
     * multiple of it: blocks of tokens) crossed with one to eight query heads per KV head; page size,
     * length (full and partial pages, partial vectors), element type and fill drawn per case.
     */
    static Stream<Arguments> shapes() {
        int[] headDims = {4, 8, 16, 32, 64, 128};
        int[] groups = {1, 2, 4, 8};
        int[] pageSizes = {1, 3, 7, 16, 17, 64};
        int[] tokenCounts = {1, 2, 3, 15, 16, 17, 31, 100, 257};
        List<Arguments> list = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(2025);
        for (int headDim : headDims) {
            for (int group : groups) {
                ElementType type = rnd.nextBoolean() ? ElementType.F32 : ElementType.F16;
                TestLayer.Fill fill = rnd.nextInt(4) == 0 ? TestLayer.Fill.EXTREME : TestLayer.Fill.UNIFORM;
                int kvHeads = 1 + rnd.nextInt(2);
                int pageTokens = pageSizes[rnd.nextInt(pageSizes.length)];
                int tokens = tokenCounts[rnd.nextInt(tokenCounts.length)];
                long offset = type.bytes() * (long) rnd.nextInt(1, 16);
                list.add(Arguments.of(headDim, pageTokens, tokens, group, kvHeads, type, fill, offset));
                // And the decode shape: pages of 16 tokens, a partial newest page.
                list.add(Arguments.of(headDim, 16, 16 * rnd.nextInt(1, 5) + rnd.nextInt(16), group, kvHeads, type,
                        TestLayer.Fill.UNIFORM, 0L));
            }
        }
        return list.stream();
    }

    @ParameterizedTest
    @MethodSource({"cases", "shapes"})
    void shouldMatchTheScalarReference(int headDim, int pageTokens, int tokens, int group, int kvHeads,
            ElementType type, TestLayer.Fill fill, long offset) {
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        int queryHeads = kvHeads * group;
        try (TestLayer layer = new TestLayer(layout, tokens, headDim * 31L + tokens, offset, fill, 0.5)) {
            float[] q = TestLayer.query(queryHeads, headDim, tokens, fill == TestLayer.Fill.EXTREME ? 1f : 2f);
            int n = layer.pageCount();
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }

            float[] expectedScores = new float[n];
            float[] scores = new float[n];
            SCALAR.scorePages(layer, q, expectedScores);
            ACTIVE.scorePages(layer, q, scores);
            assertArrayEquals(expectedScores, scores, "page scores must be bit-identical");

            double tol = Tolerance.of(layer, q, all, n);
            float[] expected = new float[q.length];
            float[] actual = new float[q.length];
            SCALAR.attend(layer, q, expected, null, 0);
            ACTIVE.attend(layer, q, actual, null, 0);
            Tolerance.assertClose(expected, actual, tol, "dense attend");

            AttentionState se = new AttentionState(queryHeads, headDim, n);
            AttentionState sa = new AttentionState(queryHeads, headDim, n);
            SCALAR.attendPages(layer, q, all, 0, n, se);
            ACTIVE.attendPages(layer, q, all, 0, n, sa);
            sa.finish(actual);
            Tolerance.assertClose(expected, actual, tol, "attendPages");
            for (int i = 0; i < n; i++) {
                assertEquals(se.pageMass(i, se), sa.pageMass(i, sa), 1e-4 * queryHeads, "mass of page " + i);
            }

            // One page per call, as a caller that folds pages one at a time does.
            AttentionState perPage = new AttentionState(queryHeads, headDim, n);
            for (int i = 0; i < n; i++) {
                ACTIVE.attendPages(layer, q, all, i, i + 1, perPage);
            }
            perPage.finish(actual);
            Tolerance.assertClose(expected, actual, tol, "attendPages page by page");

            int budget = Math.max(1, tokens / 3);
            try (SparseAttention sparseScalar = SparseAttention.builder(SCALAR, queryHeads, headDim, n)
                    .budgetTokens(budget).parallelLanes(true).build();
                    SparseAttention sparseActive = SparseAttention.builder(ACTIVE, queryHeads, headDim, n)
                            .budgetTokens(budget).parallelLanes(true).build()) {
                sparseScalar.attend(layer, q, expected);
                sparseActive.attend(layer, q, actual);
                assertEquals(sparseScalar.selectedCount(), sparseActive.selectedCount());
                int[] selected = new int[sparseScalar.selectedCount()];
                for (int i = 0; i < selected.length; i++) {
                    selected[i] = sparseScalar.selectedPage(i);
                    assertEquals(selected[i], sparseActive.selectedPage(i), "selected page " + i);
                    assertEquals(sparseScalar.pageMass(i), sparseActive.pageMass(i), 1e-4 * queryHeads,
                            "mass of selected page " + i);
                }
                double sparseTol = Tolerance.of(layer, q, selected, selected.length);
                Tolerance.assertClose(expected, actual, sparseTol, "sparse");
                SCALAR.attend(layer, q, expected, selected, selected.length);
                ACTIVE.attend(layer, q, actual, selected, selected.length);
                Tolerance.assertClose(expected, actual, sparseTol, "attend over a page list");
            }
        }
    }
}
