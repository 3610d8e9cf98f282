package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.testkit.kernel.TestLayer;

/** Two-level (group, then page) selection: identical across kernels, exact when it keeps every group. */
class TwoLevelSelectionTest {

    /** The oversampling of these tests (their page counts assume it), not the library's default. */
    private static final int OVERSAMPLE = 2;

    private static final DecodeKernel SCALAR = Kernels.scalar();
    private static final DecodeKernel ACTIVE = Kernels.lookup();
    private static final int QUERY_HEADS = 8;
    private static final int KV_HEADS = 2;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(64, 16, ElementType.F32, 3000, 256),
                Arguments.of(128, 16, ElementType.F16, 2500, 512),
                Arguments.of(80, 4, ElementType.F32, 1500, 128),
                Arguments.of(96, 7, ElementType.F16, 2000, 300),
                Arguments.of(8, 1, ElementType.F32, 700, 64));
    }

    private static TieredKvCache cache(int headDim, int pageTokens, ElementType type, int tokens) {
        ModelShape shape = new ModelShape(1, KV_HEADS, headDim, tokens);
        return TieredKvCache.builder().shape(shape).pageTokens(pageTokens).elementType(type)
                .fastTierPages((tokens + pageTokens - 1) / pageTokens / 2).slowTierPages(tokens).build();
    }

    private static void fill(Sequence seq, int headDim, int tokens, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] k = new float[KV_HEADS * headDim];
        float[] v = new float[k.length];
        for (int t = 0; t < tokens; t++) {
            // Keys drift slowly, so neighbouring pages look alike and group bounds differ between groups.
            double drift = Math.sin(t / 97.0);
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) (drift * ((i % 3) - 1) + rnd.nextDouble(-0.5, 0.5));
                v[i] = (float) rnd.nextDouble(-1, 1);
            }
            seq.append(0, k, v);
        }
    }

    private static int[] selected(SparseAttention a) {
        int[] pages = new int[a.selectedCount()];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = a.selectedPage(i);
        }
        return pages;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void shouldSelectIdenticalPagesWithScalarAndActiveKernel(int headDim, int pageTokens, ElementType type, int tokens,
            int budget) {
        try (TieredKvCache cache = cache(headDim, pageTokens, type, tokens);
                Sequence seq = cache.newSequence();
                SparseAttention scalar = SparseAttention.builder(SCALAR, QUERY_HEADS, headDim, cache.pagesPerLayer())
                        .budgetTokens(budget).parallelLanes(false).oversample(OVERSAMPLE).build();
                SparseAttention active = SparseAttention.builder(ACTIVE, QUERY_HEADS, headDim, cache.pagesPerLayer())
                        .budgetTokens(budget).parallelLanes(true).oversample(OVERSAMPLE).build()) {
            fill(seq, headDim, tokens, headDim * 31L + pageTokens);
            float[] out = new float[QUERY_HEADS * headDim];
            for (int s = 0; s < 6; s++) {
                float[] q = TestLayer.query(QUERY_HEADS, headDim, 100 + s, 1.5f);
                seq.attend(0, q, out, scalar);
                seq.attend(0, q, out, active);
                assertArrayEquals(selected(scalar), selected(active), "query " + s);
                assertEquals(scalar.scoredPages(), active.scoredPages(), "query " + s);
                // The first level pruned: fewer pages scored than the layer holds.
                assertTrue(active.scoredPages() < seq.pageCount(0),
                        active.scoredPages() + " pages scored of " + seq.pageCount(0));
                assertTrue((active.selectedCount() - 1) * pageTokens < Math.max(budget, 2 * pageTokens),
                        active.selectedCount() + " pages over budget " + budget);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void shouldEqualFlatSelectionWhenKeepingEveryGroup(int headDim, int pageTokens, ElementType type, int tokens,
            int budget) {
        int oversample = (tokens + budget - 1) / budget; // oversample * budget >= tokens: every group kept
        for (DecodeKernel kernel : new DecodeKernel[] {SCALAR, ACTIVE}) {
            try (TieredKvCache cache = cache(headDim, pageTokens, type, tokens);
                    Sequence seq = cache.newSequence();
                    SparseAttention flat = SparseAttention.builder(kernel, QUERY_HEADS, headDim, cache.pagesPerLayer())
                            .budgetTokens(budget).parallelLanes(false).build();
                    SparseAttention twoLevel = SparseAttention.builder(kernel, QUERY_HEADS, headDim, cache.pagesPerLayer())
                            .budgetTokens(budget).parallelLanes(false).oversample(oversample).build()) {
                fill(seq, headDim, tokens, 7);
                float[] out = new float[QUERY_HEADS * headDim];
                for (int s = 0; s < 4; s++) {
                    float[] q = TestLayer.query(QUERY_HEADS, headDim, 200 + s, 1f);
                    seq.attend(0, q, out, flat);
                    seq.attend(0, q, out, twoLevel);
                    assertArrayEquals(selected(flat), selected(twoLevel), kernel.name() + " query " + s);
                    assertEquals(seq.pageCount(0), twoLevel.scoredPages());
                }
            }
        }
    }

    @Test
    void shouldFindAPageWhoseKeysMatchTheQuery() {
        int headDim = 64;
        int tokens = 4096;
        try (TieredKvCache cache = cache(headDim, 16, ElementType.F32, tokens);
                Sequence seq = cache.newSequence();
                SparseAttention twoLevel = SparseAttention.builder(ACTIVE, QUERY_HEADS, headDim, cache.pagesPerLayer())
                        .budgetTokens(256).parallelLanes(false).oversample(OVERSAMPLE).build()) {
            SplittableRandom rnd = new SplittableRandom(3);
            float[] k = new float[KV_HEADS * headDim];
            float[] v = new float[k.length];
            int planted = 137; // page 137: group 8, neither the sink nor the newest group
            for (int t = 0; t < tokens; t++) {
                for (int i = 0; i < k.length; i++) {
                    k[i] = t / 16 == planted ? 1f : (float) rnd.nextDouble(-0.1, 0.1);
                }
                seq.append(0, k, v);
            }
            float[] q = new float[QUERY_HEADS * headDim];
            java.util.Arrays.fill(q, 1f);
            seq.attend(0, q, new float[q.length], twoLevel);
            int[] pages = selected(twoLevel);
            assertTrue(java.util.Arrays.binarySearch(pages, planted) >= 0, java.util.Arrays.toString(pages));
            assertEquals(4 * 16, twoLevel.scoredPages(), "sink, newest and two best groups scored");
        }
    }

    @Test
    void shouldSelectFlatOnALayerWithoutGroupMetadata() {
        PageLayout layout = new PageLayout(16, 2, 64, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 900, 1, 0, TestLayer.Fill.UNIFORM, 0.5);
                SparseAttention flat = SparseAttention.builder(ACTIVE, 8, 64, layer.pageCount())
                        .budgetTokens(128).parallelLanes(false).build();
                SparseAttention twoLevel = SparseAttention.builder(ACTIVE, 8, 64, layer.pageCount())
                        .budgetTokens(128).parallelLanes(false).oversample(2).build()) {
            float[] q = TestLayer.query(8, 64, 1, 1f);
            float[] out = new float[q.length];
            flat.attend(layer, q, out);
            twoLevel.attend(layer, q, out);
            assertArrayEquals(selected(flat), selected(twoLevel));
            assertEquals(layer.pageCount(), twoLevel.scoredPages());
        }
    }

    @Test
    void shouldRejectNegativeOversample() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SparseAttention.builder(ACTIVE, 8, 64, 10)
                        .budgetTokens(128).parallelLanes(false).oversample(-1).build());
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void shouldNotAllocatePerWarmTwoLevelStep() {
        int headDim = 64;
        try (TieredKvCache cache = cache(headDim, 16, ElementType.F32, 3000);
                Sequence seq = cache.newSequence();
                SparseAttention twoLevel = SparseAttention.builder(ACTIVE, QUERY_HEADS, headDim, cache.pagesPerLayer())
                        .budgetTokens(256).parallelLanes(false).oversample(SparseAttention.DEFAULT_OVERSAMPLE).build()) {
            fill(seq, headDim, 3000, 1);
            float[] q = TestLayer.query(QUERY_HEADS, headDim, 1, 1f);
            float[] out = new float[q.length];
            WarmAllocation.assertNoAllocationOnceWarm(() -> seq.attend(0, q, out, twoLevel));
            assertTrue(twoLevel.scoredPages() < seq.pageCount(0), "two-level selection ran");
        }
    }
}
