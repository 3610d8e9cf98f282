package org.kvplace.testkit.attention;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;
import org.kvplace.testkit.kernel.Oracle;
import org.kvplace.testkit.kernel.TestLayer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


class SparseAttentionTest {

    @ParameterizedTest
    @CsvSource({"64, 16, 4, 700, 128, true", "64, 16, 4, 700, 128, false", "8, 3, 2, 100, 20, true",
        "32, 8, 1, 257, 2147483647, true"})
    void shouldAttendOverTheSelectedPagesOfBothTiers(int headDim, int pageTokens, int group, int tokens, int budget,
            boolean parallel) {
        int kvHeads = 2;
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, tokens, 4, 8, TestLayer.Fill.UNIFORM, 0.4);
                SparseAttention attention = SparseAttention.builder(Kernels.scalar(), kvHeads * group, headDim, layer.pageCount())
                        .budgetTokens(budget).parallelLanes(parallel).build()) {
            float[] q = TestLayer.query(kvHeads * group, headDim, 17, 2f);
            float[] out = new float[q.length];
            attention.attend(layer, q, out);

            int n = layer.pageCount();
            float[] scores = new float[n];
            Kernels.scalar().scorePages(layer, q, scores);
            int[] expectedPages = new int[n];
            int count = new PageSelection(n).select(scores, n, tokens, pageTokens, budget, expectedPages);
            int[] got = new int[attention.selectedCount()];
            for (int i = 0; i < got.length; i++) {
                got[i] = attention.selectedPage(i);
                assertEquals(layer.tier(got[i]), attention.pageTier(i));
            }
            assertArrayEquals(Arrays.copyOf(expectedPages, count), got);
            int readTokens = 0;
            for (int page : got) {
                readTokens += layer.pageTokens(page);
            }
            assertTrue(budget >= tokens ? readTokens == tokens : readTokens <= budget, "read " + readTokens);

            Oracle expected = Oracle.attend(layer, q, got, got.length);
            expected.assertClose(out, 1e-5);
            double total = 0;
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected.mass[i], attention.pageMass(i), 1e-4, "mass of page " + got[i]);
                total += attention.pageMass(i);
            }
            assertEquals(kvHeads * group, total, 1e-3);
            assertEquals(got.length, attention.fastLanePages() + attention.slowLanePages());
            for (int p = 0; p < n; p++) {
                boolean read = Arrays.binarySearch(got, p) >= 0;
                assertEquals(read ? layer.pageTokens(p) * layout.tokenBytes() : 0, layer.charged()[p], "page " + p);
            }
        }
    }

    @Test
    void shouldGiveTheSameResultWithParallelOrSequentialLanesStepAfterStep() {
        PageLayout layout = new PageLayout(16, 2, 64, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 500, 8, 0, TestLayer.Fill.UNIFORM, 0.5);
                SparseAttention par = SparseAttention.builder(Kernels.scalar(), 4, 64, 40)
                        .budgetTokens(256).parallelLanes(true).build();
                SparseAttention seq = SparseAttention.builder(Kernels.scalar(), 4, 64, 40)
                        .budgetTokens(256).parallelLanes(false).build()) {
            for (int step = 0; step < 20; step++) {
                float[] q = TestLayer.query(4, 64, step, 1f);
                float[] a = new float[q.length];
                float[] b = new float[q.length];
                layer.setTier(step % layer.pageCount(), step % 2 == 0 ? TierKind.SLOW : TierKind.FAST);
                par.attend(layer, q, a);
                seq.attend(layer, q, b);
                assertArrayEquals(b, a, "step " + step);
                assertTrue(par.slowLanePages() > 0 && par.fastLanePages() > 0);
            }
        }
    }

    @Test
    void shouldReadFastPagesOnTwoThreadsWithTheSameBits() {
        PageLayout layout = new PageLayout(16, 2, 64, ElementType.F32);
        java.util.concurrent.atomic.AtomicInteger laneReads = new java.util.concurrent.atomic.AtomicInteger();
        try (TestLayer layer = new TestLayer(layout, 1_024, 8, 0, TestLayer.Fill.UNIFORM, 0) {
                    @Override
                    public synchronized void chargeRead(int page, long bytes) {
                        if (Thread.currentThread().getName().equals("kvplace-lane")) {
                            laneReads.incrementAndGet();
                        }
                        super.chargeRead(page, bytes);
                    }
                };
                SparseAttention two = SparseAttention.builder(Kernels.scalar(), 4, 64, 64).threads(2).build();
                SparseAttention one = SparseAttention.builder(Kernels.scalar(), 4, 64, 64).parallelLanes(false).build()) {
            for (int p = 0; p < layer.pageCount(); p++) {
                layer.setTier(p, TierKind.FAST);
            }
            assertSameBits(layer, two, one, 0, () -> assertEquals(64, two.fastLanePages()));
        }
        // 8 blocks of 8 pages a step: the lane thread takes those the calling thread has not reached.
        assertTrue(laneReads.get() > 0, "the lane thread read no page in 10 steps");
        assertThrows(IllegalArgumentException.class,
                () -> SparseAttention.builder(Kernels.scalar(), 4, 64, 64).threads(3).build());
    }

    /** Ten steps from query seed {@code seed}: {@code two} gives {@code one}'s bits; {@code check} after each. */
    private static void assertSameBits(TestLayer layer, SparseAttention two, SparseAttention one, int seed,
            Runnable check) {
        for (int step = 0; step < 10; step++) {
            float[] q = TestLayer.query(4, 64, seed + step, 1f);
            float[] a = new float[q.length];
            float[] b = new float[q.length];
            two.attend(layer, q, a);
            one.attend(layer, q, b);
            assertArrayEquals(b, a, "step " + step);
            check.run();
        }
    }

    @Test
    void shouldShareTheSlowTiersBlocksBetweenTwoThreadsWithTheSameBits() {
        PageLayout layout = new PageLayout(16, 2, 64, ElementType.F32);
        java.util.concurrent.atomic.AtomicInteger laneReads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger callerReads = new java.util.concurrent.atomic.AtomicInteger();
        try (TestLayer layer = new TestLayer(layout, 1_024, 8, 0, TestLayer.Fill.UNIFORM, 0) {
                    @Override
                    public synchronized void chargeRead(int page, long bytes) {
                        (Thread.currentThread().getName().equals("kvplace-lane") ? laneReads : callerReads)
                                .incrementAndGet();
                        super.chargeRead(page, bytes);
                    }
                };
                SparseAttention two = SparseAttention.builder(Kernels.scalar(), 4, 64, 64).threads(2)
                        .parallelLanes(false).build();
                SparseAttention twoLanes = SparseAttention.builder(Kernels.scalar(), 4, 64, 64).threads(2).build();
                SparseAttention one = SparseAttention.builder(Kernels.scalar(), 4, 64, 64).parallelLanes(false).build()) {
            for (int p = 0; p < layer.pageCount(); p++) {
                layer.setTier(p, TierKind.SLOW); // every page slow: before, one thread read them all
            }
            assertSameBits(layer, two, one, 0, () -> { });
            assertTrue(laneReads.get() > 0 && callerReads.get() > 640,
                    "both threads read slow pages: lane " + laneReads + ", caller " + callerReads);
            for (int p = 0; p < layer.pageCount(); p++) {
                layer.setTier(p, p % 3 == 0 ? TierKind.FAST : TierKind.SLOW); // mixed blocks
            }
            for (int step = 0; step < 10; step++) {
                float[] q = TestLayer.query(4, 64, 100 + step, 1f);
                float[] a = new float[q.length];
                float[] b = new float[q.length];
                float[] c = new float[q.length];
                two.attend(layer, q, a);
                twoLanes.attend(layer, q, c);
                one.attend(layer, q, b);
                assertArrayEquals(b, a, "mixed tiers, step " + step);
                assertArrayEquals(b, c, "mixed tiers, parallel lanes, step " + step);
                assertEquals(64, twoLanes.fastLanePages() + twoLanes.slowLanePages());
            }
        }
    }

    @Test
    void shouldStopTheSlowLaneThreadOnCloseAndWhenAnUnclosedInstanceBecomesUnreachable() throws Exception {
        PageLayout layout = new PageLayout(4, 2, 8, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 40, 1, 0, TestLayer.Fill.UNIFORM, 0.5)) {
            halves(layer);
            SparseAttention closedOne = SparseAttention.builder(Kernels.scalar(), 4, 8, 10).parallelLanes(true).build();
            Thread first = parallelStep(closedOne, layer);
            assertTrue(first.isAlive());
            closedOne.close();
            first.join(10_000);
            assertFalse(first.isAlive(), "close() stops the slow-lane thread");

            Thread second = parallelStep(SparseAttention.builder(Kernels.scalar(), 4, 8, 10)
                    .parallelLanes(true).build(),
                    layer);
            for (int i = 0; i < 200 && second.isAlive(); i++) {
                System.gc();
                second.join(50);
            }
            assertFalse(second.isAlive(), "the slow-lane thread of an unreachable, never closed instance still runs");
        }
    }

    /**
     * Puts the layer's 10 pages 0-7 in the fast tier and 8-9 in the slow one, so that both lanes get
     * blocks of pages (blocks of up to 8 pages, each read by the lane of the tier most of its pages
     * sit in) and, on a first step, the fast lane runs on the calling thread.
     */
    private static void halves(TestLayer layer) {
        assertEquals(10, layer.pageCount());
        for (int p = 0; p < layer.pageCount(); p++) {
            layer.setTier(p, p < 8 ? TierKind.FAST : TierKind.SLOW);
        }
    }

    /** Runs one step with pages in both tiers on parallel lanes and returns the slow-lane thread it started. */
    private static Thread parallelStep(SparseAttention attention, TestLayer layer) {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        float[] q = TestLayer.query(4, 8, 1, 1f);
        attention.attend(layer, q, new float[q.length]);
        assertTrue(attention.fastLanePages() > 0 && attention.slowLanePages() > 0, "both lanes read pages");
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.getName().equals("kvplace-lane"))
                .findFirst().orElseThrow(() -> new AssertionError("no new slow-lane thread"));
    }

    @Test
    void shouldRethrowAFailureOfTheSlowLaneOnTheCallingThread() {
        PageLayout layout = new PageLayout(4, 2, 8, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 40, 1, 0, TestLayer.Fill.UNIFORM, 0.5) {
                    @Override
                    public synchronized void chargeRead(int page, long bytes) {
                        if (tier(page) == TierKind.SLOW) {
                            throw new IllegalStateException("slow tier unavailable for page " + page);
                        }
                        super.chargeRead(page, bytes);
                    }
                };
                SparseAttention attention = SparseAttention.builder(Kernels.scalar(), 4, 8, 10)
                        .parallelLanes(true).build()) {
            halves(layer);
            float[] q = TestLayer.query(4, 8, 1, 1f);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> attention.attend(layer, q, new float[q.length]));
            assertTrue(e.getMessage().startsWith("slow tier unavailable"), e.getMessage());
            assertTrue(attention.fastLanePages() > 0 && attention.slowLanePages() > 0);
        }
    }

    @Test
    void shouldNotReturnWhileTheSlowLaneRunsWhenTheFastLaneFails() {
        PageLayout layout = new PageLayout(4, 2, 8, ElementType.F32);
        java.util.concurrent.atomic.AtomicBoolean failFast = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger slowCharges = new java.util.concurrent.atomic.AtomicInteger();
        try (TestLayer layer = new TestLayer(layout, 40, 1, 0, TestLayer.Fill.UNIFORM, 0.5) {
                    @Override
                    public void chargeRead(int page, long bytes) {
                        if (tier(page) == TierKind.FAST && failFast.get()) {
                            throw new IllegalStateException("fast tier unavailable for page " + page);
                        }
                        if (tier(page) == TierKind.SLOW) {
                            try {
                                Thread.sleep(5); // a slow lane that is still reading when the fast lane fails
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            slowCharges.incrementAndGet();
                        }
                        synchronized (this) {
                            super.chargeRead(page, bytes);
                        }
                    }
                };
                SparseAttention attention = SparseAttention.builder(Kernels.scalar(), 4, 8, 10)
                        .parallelLanes(true).build();
                SparseAttention fresh = SparseAttention.builder(Kernels.scalar(), 4, 8, 10)
                        .parallelLanes(false).build()) {
            halves(layer);
            float[] q1 = TestLayer.query(4, 8, 1, 1f);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> attention.attend(layer, q1, new float[q1.length]));
            assertTrue(e.getMessage().startsWith("fast tier unavailable"), e.getMessage());
            int chargesWhenThrown = slowCharges.get();
            assertTrue(chargesWhenThrown > 0, "the slow lane should have run");
            failFast.set(false);
            float[] q2 = TestLayer.query(4, 8, 2, 1f);
            float[] out = new float[q2.length];
            float[] want = new float[q2.length];
            attention.attend(layer, q2, out);
            fresh.attend(layer, q2, want);
            assertArrayEquals(want, out, "a step after a failed one must not carry the failed step's slow-lane state");
        }
    }

    @Test
    void shouldRejectMismatchedInputAndUseAfterClose() {
        PageLayout layout = new PageLayout(4, 2, 8, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 30, 1, 0, TestLayer.Fill.UNIFORM, 0)) {
            SparseAttention a = SparseAttention.builder(Kernels.scalar(), 4, 8, 8)
                    .budgetTokens(8).parallelLanes(true).build();
            assertThrows(IllegalArgumentException.class, () -> a.attend(layer, new float[31], new float[31]));
            assertThrows(IllegalArgumentException.class, () -> a.attend(layer, new float[32], new float[16]));
            SparseAttention small = SparseAttention.builder(Kernels.scalar(), 4, 8, 7)
                    .budgetTokens(8).parallelLanes(true).build();
            assertThrows(IllegalArgumentException.class, () -> small.attend(layer, new float[32], new float[32]));
            SparseAttention odd = SparseAttention.builder(Kernels.scalar(), 3, 8, 8)
                    .budgetTokens(8).parallelLanes(true).build();
            assertThrows(IllegalArgumentException.class, () -> odd.attend(layer, new float[24], new float[24]));
            assertThrows(IllegalArgumentException.class, () -> SparseAttention.builder(Kernels.scalar(), 4, 8, 8)
                    .budgetTokens(-1).parallelLanes(true).build());
            assertThrows(IllegalArgumentException.class, () -> SparseAttention.builder(Kernels.scalar(), 0, 8, 8)
                    .budgetTokens(1).parallelLanes(true).build());
            a.attend(layer, new float[32], new float[32]);
            assertThrows(IndexOutOfBoundsException.class, () -> a.selectedPage(a.selectedCount()));
            a.close();
            a.close();
            assertThrows(IllegalStateException.class, () -> a.attend(layer, new float[32], new float[32]));
        }
    }
}
