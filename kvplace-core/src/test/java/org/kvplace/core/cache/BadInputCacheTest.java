package org.kvplace.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.memory.Tier;
import org.kvplace.core.memory.TierKind;

/**
 * The library half of the bad-input catalogue ({@code docs/bad-input.md}): sizes that cannot fit,
 * handles of another cache, the tiers' views, use after close, and huge finite values. Each test
 * fails without the check it covers.
 */
class BadInputCacheTest {

    private static final ModelShape SMALL = new ModelShape(2, 2, 4, 64);

    private static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    /** Builds within a few seconds, whatever happens: a size check must not allocate first. */
    private static IllegalArgumentException rejectedQuickly(TieredKvCache.Builder b) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(IllegalArgumentException.class, b::build));
    }

    // ---- item 5: sizes that cannot fit are IllegalArgumentExceptions before any allocation --------

    @Test
    void shouldRejectAFastTierOfIntegerMaxValueMinusOnePagesNamingTheLimit() {
        var e = rejectedQuickly(TieredKvCache.builder().shape(SMALL).fastTierPages(Integer.MAX_VALUE - 1)
                .slowTierPages(1));
        assertMessage(e, "fast tier of 2147483646 pages", "2147483647 pages in all", "more than the "
                + CacheMemory.MAX_PAGES);
    }

    @Test
    void shouldRejectTiersWhoseSumOverflowsAnInt() {
        var e = rejectedQuickly(TieredKvCache.builder().shape(SMALL).fastTierPages(Integer.MAX_VALUE - 1)
                .slowTierPages(Integer.MAX_VALUE - 1));
        assertMessage(e, "4294967292 pages in all");
    }

    @Test
    void shouldRejectSlabsLargerThanPhysicalMemoryNamingWhatIsAvailable() {
        // 2^30 pages of 4 KiB: 4 TiB of slab, beyond any test machine
        var shape = new ModelShape(1, 1, 128, 16);
        var e = rejectedQuickly(TieredKvCache.builder().shape(shape).pageTokens(4).fastTierPages(1 << 30)
                .slowTierPages(1));
        assertMessage(e, "fast tier of 1073741824 pages", "pages of 4096 bytes", "of off-heap memory",
                "physical memory available", "free");
    }

    @Test
    void shouldRejectTierBytesThatHoldMorePagesThanFit() {
        var e = rejectedQuickly(TieredKvCache.builder().shape(SMALL).pageTokens(1).fastTierBytes(Long.MAX_VALUE / 2)
                .slowTierPages(1));
        assertMessage(e, "fast tier of " + (Long.MAX_VALUE / 2) + " bytes", "more than the " + CacheMemory.MAX_PAGES);
    }

    @Test
    void shouldRejectAPageTableOfOneSequenceLargerThanTheHeap() {
        // 1024 layers x 2^31 one-token pages: 16 TiB of page table per sequence, while the tiers are tiny
        var shape = new ModelShape(1024, 1, 1, Integer.MAX_VALUE);
        var e = rejectedQuickly(TieredKvCache.builder().shape(shape).pageTokens(1).fastTierPages(1).slowTierPages(1));
        assertMessage(e, "maxTokens=2147483647", "1024 layers", "page table of one sequence needs 18141941850112 bytes",
                "maximum heap");
    }

    @Test
    void shouldStillBuildOrdinarySizes() {
        try (TieredKvCache c = TieredKvCache.builder().shape(SMALL).fastTierBytes(1 << 20).slowTierBytes(4 << 20)
                .build()) {
            assertEquals((1 << 20) / c.layout().pageBytes(), c.capacityPages(TierKind.FAST));
        }
    }

    // ---- item 8: a handle names one page of one cache ------------------------------------------------

    @Test
    void shouldRejectAHandleFromAnotherCache() {
        try (TieredKvCache a = small(); TieredKvCache b = small(); Sequence sa = a.newSequence();
                Sequence sb = b.newSequence()) {
            append(sa, 0, 4);
            append(sb, 0, 4);
            long mine = sa.pageHandle(0, 0);
            long foreign = sb.pageHandle(0, 0);
            assertEquals(Pages.index(mine), Pages.index(foreign), "same index in both caches");
            assertNotEquals(mine, foreign);
            assertFalse(a.isLive(foreign));
            assertMessage(assertThrows(IllegalArgumentException.class, () -> a.tierOf(foreign)),
                    Pages.describe(foreign), "another cache");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> a.tokensOf(foreign)),
                    Pages.describe(foreign));
            assertMessage(assertThrows(IllegalArgumentException.class, () -> a.migrate(foreign, TierKind.SLOW)),
                    Pages.describe(foreign));
            assertEquals(TierKind.FAST, a.tierOf(mine), "a's page did not move");
            assertEquals(0, a.migrations());
            assertEquals(TierKind.FAST, b.tierOf(foreign), "the handle still works in its own cache");
        }
    }

    // ---- item 9: cache.tier(kind) is read-only -------------------------------------------------------

    @Test
    void shouldExposeTiersWithoutAnyWayToTakeFreeOrCloseSlots() {
        Set<String> mutators = new TreeSet<>();
        for (Method m : Tier.class.getMethods()) {
            String n = m.getName();
            if (Modifier.isPublic(m.getModifiers()) && (n.equals("freeSlot") || n.equals("allocateSlot")
                    || n.equals("close") || n.equals("allocateAuxiliary") || n.equals("chargeRead")
                    || n.equals("chargeWrite") || n.equals("resetCounters"))) {
                mutators.add(n);
            }
        }
        assertEquals(Set.of(), mutators, "public mutators on the view returned by cache.tier(kind)");
        assertFalse(AutoCloseable.class.isAssignableFrom(Tier.class), "a view must not be closeable");
    }

    @Test
    void shouldGiveAReadOnlySlabThroughTheView() {
        try (TieredKvCache c = small(); Sequence s = c.newSequence()) {
            append(s, 0, 1);
            Tier fast = c.tier(TierKind.FAST);
            assertEquals(1, fast.usedSlots());
            assertTrue(fast.slab().isReadOnly());
            assertThrows(IllegalArgumentException.class, () -> fast.slab().set(ValueLayout.JAVA_FLOAT, 0, 1f));
            assertTrue(fast.bytesWritten() > 0);
        }
    }

    // ---- item 10: after close every call throws --------------------------------------------------------

    @Test
    void shouldThrowFromEveryCallAfterClose() {
        TieredKvCache c = small();
        Sequence s = c.newSequence();
        append(s, 0, 4);
        long page = s.pageHandle(0, 0);
        c.close();
        Executable[] calls = {
            () -> c.tierOf(page), () -> c.tokensOf(page), () -> c.isLive(page),
            () -> c.freePages(TierKind.FAST), () -> c.capacityPages(TierKind.SLOW), () -> c.tier(TierKind.FAST),
            c::pagesPerLayer, c::shape, c::layout, c::kernel, c::migrations, c::bytesMigrated, c::liveSequences,
            c::newSequence, () -> c.tryMigrate(page, TierKind.SLOW), () -> c.migrate(page, TierKind.SLOW),
        };
        for (int i = 0; i < calls.length; i++) {
            Executable call = calls[i];
            var e = assertThrows(IllegalStateException.class, call, "call " + i);
            assertMessage(e, "closed");
        }
        assertTrue(c.isClosed());
        assertTrue(c.toString().contains("closed"), c.toString());
        c.close(); // idempotent
        s.close(); // harmless
    }

    // ---- item 11: huge finite values never make attention NaN -----------------------------------------

    @ParameterizedTest
    @ValueSource(floats = {3e38f, -3e38f, 0x1p32f * 1.0000001f, Float.MAX_VALUE})
    void shouldRejectKeysValuesAndQueriesBeyondTheBound(float huge) {
        try (TieredKvCache c = small(); Sequence s = c.newSequence()) {
            float[] k = new float[SMALL.kvWidth()];
            float[] v = new float[SMALL.kvWidth()];
            k[3] = huge;
            assertMessage(assertThrows(IllegalArgumentException.class, () -> s.append(0, k, v)), "k[3]=" + huge,
                    "largest magnitude");
            k[3] = 0;
            v[1] = huge;
            assertMessage(assertThrows(IllegalArgumentException.class, () -> s.append(0, k, v)), "v[1]=" + huge);
            assertEquals(0, s.tokens(0), "nothing stored");
            v[1] = 0;
            s.append(0, k, v);
            float[] q = new float[SMALL.kvWidth()];
            q[7] = huge;
            assertMessage(assertThrows(IllegalArgumentException.class, () -> s.attend(0, q, new float[q.length])),
                    "q[7]=" + huge);
        }
    }

    @Test
    void shouldGiveFiniteAttentionAtTheBound() {
        float b = Sequence.MAX_ABS_VALUE;
        try (TieredKvCache c = TieredKvCache.builder().shape(new ModelShape(1, 2, 64, 256)).pageTokens(16)
                .fastTierPages(4).slowTierPages(12).kernel(Kernels.scalar()).build();
                Sequence s = c.newSequence();
                SparseAttention sparse = SparseAttention.builder(Kernels.scalar(), 4, 64, c.pagesPerLayer())
                        .budgetTokens(64).parallelLanes(false).build()) {
            int w = 2 * 64;
            float[] k = new float[w];
            float[] v = new float[w];
            for (int t = 0; t < 256; t++) {
                for (int i = 0; i < w; i++) {
                    k[i] = ((t + i) % 3 == 0) ? -b : b;
                    v[i] = ((t * 7 + i) % 2 == 0) ? b : -b;
                }
                s.append(0, k, v);
            }
            float[] q = new float[4 * 64];
            for (int i = 0; i < q.length; i++) {
                q[i] = i % 5 == 0 ? -b : b;
            }
            float[] out = new float[q.length];
            s.attend(0, q, out);
            assertAllFinite(out, "dense");
            s.attend(0, q, out, sparse);
            assertAllFinite(out, "sparse");
            try (SparseAttention all = SparseAttention.builder(Kernels.scalar(), 4, 64, c.pagesPerLayer())
                    .parallelLanes(true).build()) {
                s.attend(0, q, out, all);
                assertAllFinite(out, "two lanes");
            }
        }
    }

    private static void assertAllFinite(float[] x, String what) {
        for (int i = 0; i < x.length; i++) {
            assertTrue(Float.isFinite(x[i]), what + ": out[" + i + "]=" + x[i]);
        }
    }

    private static TieredKvCache small() {
        return TieredKvCache.builder().shape(SMALL).pageTokens(4).fastTierPages(2).slowTierPages(3).build();
    }

    private static void append(Sequence s, int layer, int tokens) {
        float[] k = new float[SMALL.kvWidth()];
        float[] v = new float[SMALL.kvWidth()];
        for (int t = 0; t < tokens; t++) {
            TestData.fill(k, s.id(), layer, t, 0);
            TestData.fill(v, s.id(), layer, t, 1);
            s.append(layer, k, v);
        }
    }
}
