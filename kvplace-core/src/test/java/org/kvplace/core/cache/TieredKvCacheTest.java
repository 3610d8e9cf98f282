package org.kvplace.core.cache;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


class TieredKvCacheTest {

    private static final ModelShape SHAPE = new ModelShape(2, 2, 4, 64);

    private final TieredKvCache cache = TieredKvCache.builder()
            .shape(SHAPE).pageTokens(4).fastTierPages(2).slowTierPages(3).build();

    @AfterEach
    void close() {
        cache.close();
    }

    private static void appendTokens(Sequence seq, int layer, int count) {
        float[] k = new float[SHAPE.kvWidth()];
        float[] v = new float[SHAPE.kvWidth()];
        for (int t = seq.tokens(layer); count > 0; t++, count--) {
            TestData.fill(k, seq.id(), layer, t, 0);
            TestData.fill(v, seq.id(), layer, t, 1);
            seq.append(layer, k, v);
        }
    }

    @Test
    void shouldLayOutPagesKeysThenValuesPerHead() {
        PageLayout layout = cache.layout();
        assertEquals(4 * 4, layout.headBytes());
        assertEquals(2 * 2 * 16, layout.tokenBytes());
        assertEquals(4 * 64, layout.pageBytes());
        assertEquals(0, layout.keyOffset(0, 0));
        assertEquals(16, layout.keyOffset(0, 1));
        // Head 0's keys [0, 64), its values [64, 128), head 1's keys [128, 192), its values [192, 256).
        assertEquals(64, layout.valueOffset(0, 0));
        assertEquals(128, layout.keyOffset(1, 0));
        assertEquals(192 + 32, layout.valueOffset(1, 2));
        assertEquals(layout.pageBytes() - layout.headBytes(), layout.valueOffset(1, 3));
    }

    @Test
    void shouldPlaceNewPagesInFastTierUntilFullThenSlow() {
        Sequence seq = cache.newSequence();
        appendTokens(seq, 0, 12); // three pages
        assertEquals(3, seq.pageCount(0));
        assertEquals(TierKind.FAST, cache.tierOf(seq.pageHandle(0, 0)));
        assertEquals(TierKind.FAST, cache.tierOf(seq.pageHandle(0, 1)));
        assertEquals(TierKind.SLOW, cache.tierOf(seq.pageHandle(0, 2)));
        assertEquals(0, cache.freePages(TierKind.FAST));
        assertEquals(2, cache.freePages(TierKind.SLOW));
        assertEquals(4, cache.tokensOf(seq.pageHandle(0, 2)));
    }

    @Test
    void shouldKeepKeyMinAndMaxPerHeadInMetadata() {
        Sequence seq = cache.newSequence();
        float[] k1 = {1, -2, 3, 0, 5, 5, 5, 5};
        float[] k2 = {-1, 4, 2, 0, 6, 4, 5, 7};
        float[] k3 = {9, 9, 9, 9, 9, 9, 9, 9};
        float[] v = new float[8];
        seq.append(0, k1, v);
        seq.append(0, k2, v);
        for (int t = 0; t < 3; t++) {
            seq.append(0, k3, v); // the fifth token opens page 1
        }
        float[] min = new float[4];
        float[] max = new float[4];
        seq.readKeyBounds(0, 0, 0, min, max);
        assertArrayEquals(new float[] {-1, -2, 2, 0}, min);
        assertArrayEquals(new float[] {9, 9, 9, 9}, max);
        seq.readKeyBounds(0, 0, 1, min, max);
        assertArrayEquals(new float[] {5, 4, 5, 5}, min);
        seq.readKeyBounds(0, 1, 1, min, max);
        assertArrayEquals(new float[] {9, 9, 9, 9}, min);
        assertArrayEquals(new float[] {9, 9, 9, 9}, max);
        // the bounds travel with the page: migration does not touch them
        cache.migrate(seq.pageHandle(0, 0), TierKind.SLOW);
        seq.readKeyBounds(0, 0, 0, min, max);
        assertArrayEquals(new float[] {-1, -2, 2, 0}, min);
    }

    @Test
    void shouldRejectHeadOutOfRangeWhenReadingKeyBounds() {
        Sequence seq = cache.newSequence();
        appendTokens(seq, 0, 1);
        float[] a = new float[4];
        var e = assertThrows(IllegalArgumentException.class, () -> seq.readKeyBounds(0, 0, 2, a, a));
        assertTrue(e.getMessage().contains("kvHead 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> seq.readKeyBounds(0, 0, -1, a, a));
        assertThrows(IllegalArgumentException.class, () -> seq.readKeyBounds(0, 0, 0, new float[3], a));
        assertThrows(IndexOutOfBoundsException.class, () -> seq.readKeyBounds(0, 1, 0, a, a));
    }

    @Test
    void shouldMoveBytesIntactAndSwitchTier() {
        Sequence seq = cache.newSequence();
        appendTokens(seq, 1, 6); // page 0 full (fast), page 1 half (fast)
        long page0 = seq.pageHandle(1, 0);
        cache.migrate(page0, TierKind.SLOW);
        assertEquals(TierKind.SLOW, cache.tierOf(page0));
        assertEquals(1, cache.migrations());
        assertEquals(cache.layout().pageBytes(), cache.bytesMigrated());
        long page1 = seq.pageHandle(1, 1);
        cache.migrate(page1, TierKind.SLOW);
        appendTokens(seq, 1, 2); // appends into the migrated, half-full page
        cache.migrate(page1, TierKind.FAST);
        float[] got = new float[SHAPE.kvWidth()];
        float[] want = new float[SHAPE.kvWidth()];
        for (int t = 0; t < 8; t++) {
            seq.readKey(1, t, got);
            TestData.fill(want, seq.id(), 1, t, 0);
            assertArrayEquals(want, got, "key of token " + t);
            seq.readValue(1, t, got);
            TestData.fill(want, seq.id(), 1, t, 1);
            assertArrayEquals(want, got, "value of token " + t);
        }
    }

    @Test
    void shouldFailCleanlyWhenMigrationTargetIsFull() {
        Sequence seq = cache.newSequence();
        appendTokens(seq, 0, 20); // 5 pages: 2 fast, 3 slow; both tiers full
        long slowPage = seq.pageHandle(0, 4);
        assertFalse(cache.tryMigrate(slowPage, TierKind.FAST));
        assertEquals(TierKind.SLOW, cache.tierOf(slowPage));
        assertEquals(0, cache.migrations());
        var e = assertThrows(TierFullException.class, () -> cache.migrate(slowPage, TierKind.FAST));
        assertTrue(e.getMessage().contains("FAST") && e.getMessage().contains("2 pages"), e.getMessage());
    }

    @Test
    void shouldRejectMigratingToTheTierThePageIsIn() {
        Sequence seq = cache.newSequence();
        appendTokens(seq, 0, 1);
        long page = seq.pageHandle(0, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> cache.migrate(page, TierKind.FAST));
        assertTrue(e.getMessage().contains("already in tier FAST") && e.getMessage().contains(Pages.describe(page)),
                e.getMessage());
    }

    @Test
    void shouldRejectUnknownAndFreedPages() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> cache.migrate(Pages.handle(3, 0), TierKind.SLOW));
        assertTrue(unknown.getMessage().contains("3#0"), unknown.getMessage());
        var outOfRange = assertThrows(IllegalArgumentException.class, () -> cache.tierOf(Pages.handle(99, 0)));
        assertTrue(outOfRange.getMessage().contains("99#0"), outOfRange.getMessage());
        var negative = assertThrows(IllegalArgumentException.class, () -> cache.tierOf(-1L));
        assertTrue(negative.getMessage().contains("-1#-1"), negative.getMessage());

        Sequence seq = cache.newSequence();
        appendTokens(seq, 0, 1);
        long page = seq.pageHandle(0, 0);
        seq.close();
        assertFalse(cache.isLive(page));
        var freed = assertThrows(IllegalArgumentException.class, () -> cache.migrate(page, TierKind.SLOW));
        assertTrue(freed.getMessage().contains(Pages.describe(page)), freed.getMessage());

        // the index is reused by a new page, but the old handle stays dead
        Sequence other = cache.newSequence();
        appendTokens(other, 0, 1);
        long reused = other.pageHandle(0, 0);
        assertEquals(Pages.index(page), Pages.index(reused));
        assertTrue(cache.isLive(reused));
        assertThrows(IllegalArgumentException.class, () -> cache.tierOf(page));
    }

    @Test
    void shouldReturnAllSlotsWhenSequencesClose() {
        Sequence a = cache.newSequence();
        Sequence b = cache.newSequence();
        appendTokens(a, 0, 8);
        appendTokens(b, 1, 9);
        assertEquals(0, cache.freePages(TierKind.FAST));
        assertEquals(2, cache.liveSequences());
        a.close();
        b.close();
        b.close(); // idempotent
        assertEquals(2, cache.freePages(TierKind.FAST));
        assertEquals(3, cache.freePages(TierKind.SLOW));
        assertEquals(0, cache.liveSequences());
        var e = assertThrows(IllegalStateException.class, () -> appendTokens(a, 0, 1));
        assertTrue(e.getMessage().contains("sequence " + a.id()), e.getMessage());
    }

    @Test
    void shouldRejectUseAfterCloseAndCloseTwiceQuietly() {
        Sequence seq = cache.newSequence();
        appendTokens(seq, 0, 5);
        cache.close();
        cache.close();
        assertTrue(cache.isClosed());
        var e = assertThrows(IllegalStateException.class, () -> appendTokens(seq, 0, 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> seq.attend(0, new float[8], new float[8]));
        assertThrows(IllegalStateException.class, cache::newSequence);
        assertThrows(IllegalStateException.class, () -> cache.tryMigrate(0L, TierKind.SLOW));
        seq.close(); // closing a sequence of a closed cache is harmless
    }

    @Test
    void shouldSupportAZeroPageFastTier() {
        try (TieredKvCache slowOnly = TieredKvCache.builder().shape(SHAPE).pageTokens(4).fastTierPages(0)
                .slowTierPages(4).build(); Sequence seq = slowOnly.newSequence()) {
            appendTokens(seq, 0, 4);
            assertEquals(0, slowOnly.capacityPages(TierKind.FAST));
            assertEquals(TierKind.SLOW, slowOnly.tierOf(seq.pageHandle(0, 0)));
            assertFalse(slowOnly.tryMigrate(seq.pageHandle(0, 0), TierKind.FAST));
        }
    }

    @Test
    void shouldStoreF16ValuesRoundedToHalfPrecision() {
        try (TieredKvCache half = TieredKvCache.builder().shape(SHAPE).pageTokens(4).elementType(ElementType.F16)
                .fastTierPages(1).slowTierPages(1).build(); Sequence seq = half.newSequence()) {
            assertEquals(2 * 2 * 4 * 2, half.layout().tokenBytes());
            float[] k = {1.0f, 0.1f, -3.14159f, 65504f, 1e-3f, -0.0f, 2.5f, 100.25f};
            seq.append(0, k, k);
            float[] got = new float[8];
            seq.readKey(0, 0, got);
            for (int i = 0; i < 8; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(k[i])), got[i], "element " + i);
            }
            var e = assertThrows(IllegalArgumentException.class,
                    () -> seq.append(0, new float[] {0, 0, 0, 0, 0, 0, 0, 70000f}, new float[8]));
            assertTrue(e.getMessage().contains("k[7]=70000.0") && e.getMessage().contains("F16"), e.getMessage());
            assertEquals(1, seq.tokens(0));
        }
    }

    @Test
    void shouldThrottleSlowTierAtARatioOfMeasuredBandwidth() {
        try (TieredKvCache c = TieredKvCache.builder().shape(SHAPE).pageTokens(4).fastTierPages(1).slowTierPages(1)
                .slowTierBandwidthRatio(0.5).build()) {
            double slow = c.tier(TierKind.SLOW).throttle().bytesPerSecond();
            assertTrue(slow > 1e6, "implausible measured bandwidth: " + slow);
            assertEquals(null, c.tier(TierKind.FAST).throttle());
        }
        assertThrows(IllegalArgumentException.class, () -> TieredKvCache.builder().slowTierBandwidthRatio(0));
        assertThrows(IllegalArgumentException.class, () -> TieredKvCache.builder().slowTierBandwidthRatio(1.01));
    }
}
