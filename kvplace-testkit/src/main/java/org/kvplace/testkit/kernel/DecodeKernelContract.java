package org.kvplace.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;

/**
 * What every {@link DecodeKernel} must satisfy, present and future: a test class per implementation
 * extends this one and says which kernel it tests ({@link #kernel()}).
 *
 * <ul>
 *   <li>agreement with the double-precision two-pass {@link Oracle} and with the scalar reference
 *       within {@link Tolerance} ({@code attend} dense and over a page list, {@code attendPages});</li>
 *   <li>page masses that match the oracle's and sum to the number of query heads;</li>
 *   <li>{@code scorePages}: bit-identical to the reference (the evaluation order is part of the
 *       SPI) and an upper bound of every token's score of the page;</li>
 *   <li>state merging: the pages split into lanes in any order, each lane read into its own state
 *       (or into one state in several calls) and the states merged in any order give the one-pass
 *       result and the same page masses;</li>
 *   <li>every page read is charged once with its bytes;</li>
 *   <li>argument checks: kernels only {@code assert} (callers validate), so with assertions on a
 *       state of the wrong shape is refused; the state checks its own arguments.</li>
 * </ul>
 * Shapes straddle the lane counts: head dims that are and are not multiples of 16, pages of 1 to 64
 * tokens, partial newest pages, GQA ratios 1 to 8, unaligned slot offsets, f32 and f16.
 */
public abstract class DecodeKernelContract {

    /** The kernel under test. */
    protected abstract DecodeKernel kernel();

    /** The reference the kernel must agree with; the scalar kernel unless overridden. */
    protected DecodeKernel reference() {
        return Kernels.scalar();
    }

    /** The shapes every contract check runs on: headDim, pageTokens, tokens, group, kvHeads, type, offset. */
    static Stream<Arguments> shapes() {
        int[] headDims = {8, 17, 64, 80, 128};
        int[] pageSizes = {1, 3, 16, 17, 64};
        int[] tokenCounts = {1, 2, 16, 17, 100, 333};
        int[] groups = {1, 2, 4, 8};
        List<Arguments> list = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 12; i++) {
            ElementType type = i % 2 == 0 ? ElementType.F32 : ElementType.F16;
            int headDim = headDims[i % headDims.length];
            long offset = type.bytes() * (long) rnd.nextInt(0, 16);
            list.add(Arguments.of(headDim, pageSizes[rnd.nextInt(pageSizes.length)],
                    tokenCounts[rnd.nextInt(tokenCounts.length)], groups[rnd.nextInt(groups.length)], 1 + i % 2,
                    type, offset));
        }
        return list.stream();
    }

    @Test
    void shouldHaveAName() {
        assertFalse(kernel().name().isBlank(), "name of " + kernel());
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void shouldMatchTheOracleAndTheReferenceWithinTolerance(int headDim, int pageTokens, int tokens, int group,
            int kvHeads, ElementType type, long offset) {
        DecodeKernel k = kernel();
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        int queryHeads = kvHeads * group;
        for (TestLayer.Fill fill : TestLayer.Fill.values()) {
            try (TestLayer layer = new TestLayer(layout, tokens, headDim * 31L + tokens, offset, fill, 0.5)) {
                float[] q = TestLayer.query(queryHeads, headDim, tokens, fill == TestLayer.Fill.EXTREME ? 1f : 2f);
                int n = layer.pageCount();
                int[] all = TestLayer.allPages(n);
                double tol = Tolerance.of(layer, q, all, n);
                float[] expected = new float[q.length];
                float[] actual = new float[q.length];
                reference().attend(layer, q, expected, null, 0);
                k.attend(layer, q, actual, null, 0);
                Tolerance.assertClose(expected, actual, tol, fill + " dense attend against the reference");
                if (fill == TestLayer.Fill.UNIFORM) {
                    assertCloseToOracle(Oracle.attend(layer, q, all, n), actual, tol, "dense attend");
                }

                AttentionState state = new AttentionState(queryHeads, headDim, n);
                k.attendPages(layer, q, all, 0, n, state);
                state.finish(actual);
                Tolerance.assertClose(expected, actual, tol, fill + " attendPages against the reference");
                if (fill == TestLayer.Fill.UNIFORM) {
                    Oracle oracle = Oracle.attend(layer, q, all, n);
                    assertCloseToOracle(oracle, actual, tol, "attendPages");
                    double total = 0;
                    for (int i = 0; i < n; i++) {
                        assertEquals(oracle.mass[i], state.pageMass(i, state), 1e-4 * queryHeads, "mass of page " + i);
                        total += state.pageMass(i, state);
                    }
                    assertEquals(queryHeads, total, 1e-3 * queryHeads, "masses sum to the query heads");
                }

                // Every other page, then the rest: a page list that is not 0..n-1.
                int[] list = new int[n];
                int count = 0;
                for (int p = 0; p < n; p += 2) {
                    list[count++] = p;
                }
                double listTol = Tolerance.of(layer, q, list, count);
                reference().attend(layer, q, expected, list, count);
                k.attend(layer, q, actual, list, count);
                Tolerance.assertClose(expected, actual, listTol, fill + " attend over a page list");
                if (fill == TestLayer.Fill.UNIFORM) {
                    assertCloseToOracle(Oracle.attend(layer, q, list, count), actual, listTol, "attend over a page list");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void shouldScorePagesExactlyAsTheReferenceAndBoundEveryTokenScore(int headDim, int pageTokens, int tokens,
            int group, int kvHeads, ElementType type, long offset) {
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        int queryHeads = kvHeads * group;
        try (TestLayer layer = new TestLayer(layout, tokens, 3 + tokens, offset, TestLayer.Fill.UNIFORM, 0.5)) {
            float[] q = TestLayer.query(queryHeads, headDim, 9, 2f);
            int n = layer.pageCount();
            float[] expected = new float[n];
            float[] scores = new float[n + 3];
            scores[n] = 42f;
            reference().scorePages(layer, q, expected);
            kernel().scorePages(layer, q, scores);
            assertArrayEquals(expected, java.util.Arrays.copyOf(scores, n), "page scores must be bit-identical");
            assertEquals(42f, scores[n], "wrote beyond the layer's pages");
            for (int p = 0; p < n; p++) {
                double best = Double.NEGATIVE_INFINITY;
                for (int h = 0; h < queryHeads; h++) {
                    for (int t = p * pageTokens; t < p * pageTokens + layer.pageTokens(p); t++) {
                        best = Math.max(best, Oracle.score(layer, q, h, h / group, t));
                    }
                }
                assertTrue(scores[p] >= best - 1e-4 * headDim, "page " + p + " bound " + scores[p]
                        + " below its best score " + best);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void shouldMergeLanesReadInAnyOrderIntoTheOnePassResult(int headDim, int pageTokens, int tokens, int group,
            int kvHeads, ElementType type, long offset) {
        DecodeKernel k = kernel();
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        int queryHeads = kvHeads * group;
        try (TestLayer layer = new TestLayer(layout, tokens, 21 + tokens, offset, TestLayer.Fill.UNIFORM, 0)) {
            float[] q = TestLayer.query(queryHeads, headDim, 1, 3f);
            int n = layer.pageCount();
            AttentionState one = new AttentionState(queryHeads, headDim, n);
            k.attendPages(layer, q, TestLayer.allPages(n), 0, n, one);
            float[] expected = new float[q.length];
            one.finish(expected);
            double tol = Tolerance.of(layer, q, TestLayer.allPages(n), n);

            SplittableRandom rnd = new SplittableRandom(tokens * 7L + headDim);
            for (int trial = 0; trial < 4; trial++) {
                int lanes = 1 + rnd.nextInt(Math.min(n, 4));
                int[] order = TestLayer.allPages(n);
                for (int i = n - 1; i > 0; i--) { // the pages in a random order
                    int j = rnd.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                // Lane i reads a contiguous stretch of the shuffled order, in one or two calls.
                AttentionState[] states = new AttentionState[lanes];
                int[][] lanePages = new int[lanes][];
                for (int i = 0; i < lanes; i++) {
                    int from = i * n / lanes;
                    int to = (i + 1) * n / lanes;
                    lanePages[i] = java.util.Arrays.copyOfRange(order, from, to);
                    states[i] = new AttentionState(queryHeads, headDim, n);
                    int mid = lanePages[i].length / 2;
                    k.attendPages(layer, q, lanePages[i], 0, mid, states[i]);
                    k.attendPages(layer, q, lanePages[i], mid, lanePages[i].length, states[i]);
                }
                int first = rnd.nextInt(lanes);
                AttentionState total = new AttentionState(queryHeads, headDim, 0);
                total.merge(states[first]);
                for (int i = 0; i < lanes; i++) {
                    if (i != first) {
                        total.merge(states[i]);
                    }
                }
                float[] merged = new float[q.length];
                total.finish(merged);
                Tolerance.assertClose(expected, merged, tol, lanes + " lanes merged");
                for (int i = 0; i < lanes; i++) {
                    for (int j = 0; j < lanePages[i].length; j++) {
                        int page = lanePages[i][j];
                        assertEquals(one.pageMass(page, one), states[i].pageMass(j, total), 1e-5 * queryHeads,
                                "mass of page " + page + " in lane " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void shouldChargeEachPageReadOnceWithItsBytes(int headDim, int pageTokens, int tokens, int group, int kvHeads,
            ElementType type, long offset) {
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        int queryHeads = kvHeads * group;
        try (TestLayer layer = new TestLayer(layout, tokens, 2, offset, TestLayer.Fill.UNIFORM, 0.5)) {
            float[] q = TestLayer.query(queryHeads, headDim, 1, 1f);
            int n = layer.pageCount();
            long[] expected = new long[n];
            kernel().attendPages(layer, q, TestLayer.allPages(n), 0, n, new AttentionState(queryHeads, headDim, 0));
            for (int p = 0; p < n; p++) {
                expected[p] = layer.pageTokens(p) * layout.tokenBytes();
            }
            assertArrayEquals(expected, layer.charged(), "attendPages");
            int[] list = {n - 1};
            kernel().attend(layer, q, new float[q.length], list, 1);
            expected[n - 1] += layer.pageTokens(n - 1) * layout.tokenBytes();
            assertArrayEquals(expected, layer.charged(), "attend over one page");
            kernel().attend(layer, q, new float[q.length], null, 0);
            for (int p = 0; p < n; p++) {
                expected[p] += layer.pageTokens(p) * layout.tokenBytes();
            }
            assertArrayEquals(expected, layer.charged(), "dense attend");
        }
    }

    @Test
    void shouldRefuseAStateOfTheWrongShapeWhenAssertionsAreOn() {
        boolean assertions = false;
        assert assertions = true; // deliberately an assignment: true only when assertions are on
        PageLayout layout = new PageLayout(4, 2, 16, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 10, 1, 0, TestLayer.Fill.UNIFORM, 0.5)) {
            float[] q = TestLayer.query(4, 16, 1, 1f);
            int[] all = TestLayer.allPages(layer.pageCount());
            AttentionState wrongHeadDim = new AttentionState(4, 8, 0);
            AttentionState tooFewRecords = new AttentionState(4, 16, 1);
            if (assertions) {
                assertThrows(AssertionError.class, () -> kernel().attendPages(layer, q, all, 0, all.length,
                        wrongHeadDim), "a state of another head dim");
                assertThrows(AssertionError.class, () -> kernel().attendPages(layer, q, all, 0, all.length,
                        tooFewRecords), "more pages than the state records");
            }
            assertThrows(IllegalArgumentException.class, () -> new AttentionState(4, 16, 0).merge(wrongHeadDim));
        }
    }

    private static void assertCloseToOracle(Oracle oracle, float[] actual, double tol, String what) {
        for (int i = 0; i < actual.length; i++) {
            assertEquals(oracle.out[i], actual[i], tol, what + " against the two-pass oracle: element " + i);
        }
    }
}
