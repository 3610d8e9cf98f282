package org.kvplace.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.kvplace.core.memory.TierKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bad input is rejected with a message naming the bad value, and leaves the cache unchanged. */
class ValidationTest {

    private static final ModelShape SHAPE = new ModelShape(3, 2, 4, 10);
    private final TieredKvCache cache = TieredKvCache.builder()
            .shape(SHAPE).pageTokens(4).fastTierPages(1).slowTierPages(1).build();
    private final Sequence seq = cache.newSequence();
    private final float[] k = new float[8];
    private final float[] v = new float[8];

    @AfterEach
    void close() {
        cache.close();
    }

    private static void assertMessage(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void shouldRejectWrongVectorLengths() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.append(0, new float[7], v)), "k length 7", "8");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.append(0, k, new float[9])), "v length 9");
        seq.append(0, k, v);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, new float[6], new float[6])),
                "q length 6");
        // 3 query heads is not a multiple of 2 KV heads
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, new float[12], new float[12])),
                "q length 12");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, new float[8], new float[16])),
                "out length 16");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.readKey(0, 0, new float[3])), "dst length 3");
        assertEquals(1, seq.tokens(0));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 3, 100})
    void shouldRejectLayerOutOfRange(int layer) {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.append(layer, k, v)), "layer " + layer);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(layer, k, v)), "layer " + layer);
        assertThrows(IllegalArgumentException.class, () -> seq.tokens(layer));
    }

    @Test
    void shouldRejectNaNAndInfinityWithoutStoringThem() {
        float[] bad = new float[8];
        bad[5] = Float.NaN;
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.append(1, bad, v)), "k[5]=NaN");
        bad[5] = Float.POSITIVE_INFINITY;
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.append(1, k, bad)), "v[5]=Infinity");
        assertEquals(0, seq.tokens(1));
        assertEquals(1, cache.freePages(TierKind.FAST), "no page was allocated for rejected tokens");
        seq.append(1, k, v);
        float[] q = new float[8];
        q[2] = Float.NEGATIVE_INFINITY;
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(1, q, new float[8])), "q[2]=-Infinity");
        q[2] = Float.NaN;
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(1, q, new float[8])), "q[2]=NaN");
    }

    @Test
    void shouldRejectAppendingPastMaxTokens() {
        try (TieredKvCache roomy = TieredKvCache.builder().shape(SHAPE).pageTokens(4).fastTierPages(3).slowTierPages(3)
                .build(); Sequence s = roomy.newSequence()) {
            for (int t = 0; t < 10; t++) {
                s.append(2, k, v);
            }
            assertMessage(assertThrows(IllegalStateException.class, () -> s.append(2, k, v)), "maxTokens=10", "layer 2");
            assertEquals(10, s.tokens(2));
        }
    }

    @Test
    void shouldNameBothCapacitiesWhenBothTiersAreFull() {
        for (int t = 0; t < 8; t++) {
            seq.append(0, k, v); // two pages: one fast, one slow
        }
        var e = assertThrows(TierFullException.class, () -> seq.append(0, k, v));
        assertMessage(e, "both tiers are full", "fast 1 pages (256 bytes)", "slow 1 pages (256 bytes)", "token 8");
        assertEquals(8, seq.tokens(0), "nothing partially written");
        var other = assertThrows(TierFullException.class, () -> seq.append(1, k, v));
        assertMessage(other, "layer 1");
        assertEquals(0, seq.tokens(1));
    }

    @Test
    void shouldRejectAttendOnEmptyLayerAndBadPageLists() {
        assertMessage(assertThrows(IllegalStateException.class, () -> seq.attend(0, k, v)), "holds no tokens");
        for (int t = 0; t < 6; t++) {
            seq.append(0, k, v);
        }
        float[] out = new float[8];
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, k, out, new int[] {0, 2}, 2)),
                "pages[1]=2");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, k, out, new int[] {1, 0}, 2)),
                "strictly increasing");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, k, out, new int[] {1, 1}, 2)),
                "strictly increasing");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, k, out, new int[] {0}, 0)),
                "pageCount 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> seq.attend(0, k, out, new int[] {0}, 2)),
                "pageCount 2");
        assertMessage(assertThrows(IndexOutOfBoundsException.class, () -> seq.pageHandle(0, 2)), "page 2");
        assertMessage(assertThrows(IndexOutOfBoundsException.class, () -> seq.readKey(0, 6, new float[8])), "token 6");
    }

    @Test
    void shouldRejectBadShapesAndBuilderValues() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ModelShape(0, 1, 1, 1)), "layers", "0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ModelShape(1, -2, 1, 1)), "kvHeads", "-2");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ModelShape(1, 1, 0, 1)), "headDim");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ModelShape(1, 1, 1, -7)), "maxTokens", "-7");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ModelShape(1, 65536, 65536, 1)),
                "kvHeads=65536", "headDim=65536");
        // the largest maxTokens still gives a valid page count
        try (TieredKvCache big = TieredKvCache.builder().shape(new ModelShape(1, 1, 1, Integer.MAX_VALUE))
                .fastTierPages(1).slowTierPages(1).build()) {
            assertEquals((Integer.MAX_VALUE + 15L) / 16, big.pagesPerLayer());
        }
        assertMessage(assertThrows(IllegalArgumentException.class, () -> TieredKvCache.builder().pageTokens(0)), "0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> TieredKvCache.builder().fastTierBytes(-3)), "-3");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> TieredKvCache.builder().slowTierBandwidth(Double.NaN)), "NaN");
        assertThrows(NullPointerException.class, () -> TieredKvCache.builder().fastTierPages(1).slowTierPages(1).build());
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> TieredKvCache.builder().shape(SHAPE).fastTierPages(1).build()), "slow tier size must be set");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> TieredKvCache.builder().shape(SHAPE).fastTierPages(0).slowTierBytes(10).build()), "zero pages");
    }
}
