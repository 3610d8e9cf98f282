package org.kvplace.core.memory;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TierSlabTest {

    private final TierSlab tier = new TierSlab(TierSpec.unthrottled(TierKind.FAST, 100, 8));

    @AfterEach
    void close() {
        tier.close();
    }

    @Test
    void shouldAlignSlotsTo64Bytes() {
        assertEquals(128, tier.slotStride());
        for (int s = 0; s < 8; s++) {
            assertEquals(0, (tier.slab().address() + tier.slotOffset(s)) % 64, "slot " + s);
        }
        assertEquals(800, tier.capacityBytes());
    }

    @Test
    void shouldStartSlabsOnA4KibPageSoThatPageSizedSlotsStartOnPages() {
        for (int slotBytes : new int[] {100, 4096, 131072}) {
            try (TierSlab t = new TierSlab(TierSpec.unthrottled(TierKind.FAST, slotBytes, 3))) {
                assertEquals(0, t.slab().address() % 4096, "slab of " + slotBytes + "-byte slots");
                if (slotBytes % 4096 == 0) {
                    assertEquals(0, (t.slab().address() + t.slotOffset(2)) % 4096, "slot 2 of " + slotBytes);
                }
            }
        }
    }

    @Test
    void shouldHandOutEverySlotOnceThenReportFull() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            int s = tier.allocateSlot();
            assertTrue(s >= 0 && s < 8, "slot " + s);
            assertTrue(seen.add(s), "slot handed out twice: " + s);
        }
        assertEquals(-1, tier.allocateSlot());
        assertEquals(0, tier.freeSlots());
        tier.freeSlot(3);
        assertEquals(1, tier.freeSlots());
        assertEquals(3, tier.allocateSlot());
    }

    @Test
    void shouldRejectFreeingASlotThatIsNotAllocated() {
        var e = assertThrows(IllegalArgumentException.class, () -> tier.freeSlot(5));
        assertTrue(e.getMessage().contains("slot 5"), e.getMessage());
        int s = tier.allocateSlot();
        tier.freeSlot(s);
        assertThrows(IllegalArgumentException.class, () -> tier.freeSlot(s));
        var range = assertThrows(IllegalArgumentException.class, () -> tier.freeSlot(8));
        assertTrue(range.getMessage().contains("8"), range.getMessage());
    }

    @Test
    void shouldRejectSlotOffsetOutOfRange() {
        assertThrows(IndexOutOfBoundsException.class, () -> tier.slotOffset(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> tier.slotOffset(8));
    }

    @Test
    void shouldCountBytesReadAndWritten() {
        tier.chargeRead(10);
        tier.chargeRead(5);
        tier.chargeWrite(7);
        assertEquals(15, tier.bytesRead());
        assertEquals(7, tier.bytesWritten());
        tier.resetCounters();
        assertEquals(0, tier.bytesRead());
        assertNull(tier.throttle());
    }

    @Test
    void shouldFailAfterCloseAndCloseTwiceQuietly() {
        var slab = tier.slab();
        tier.close();
        assertDoesNotThrow(tier::close);
        assertTrue(tier.isClosed());
        var e = assertThrows(IllegalStateException.class, tier::allocateSlot);
        assertTrue(e.getMessage().contains("FAST"), e.getMessage());
        assertThrows(IllegalStateException.class, tier::slab);
        assertThrows(IllegalStateException.class, () -> slab.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void shouldRejectBadSpecs() {
        assertThrows(IllegalArgumentException.class, () -> TierSpec.unthrottled(TierKind.FAST, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> TierSpec.unthrottled(TierKind.FAST, 64, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> new TierSpec(TierKind.SLOW, 64, 1, Double.NaN));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TierSpec(TierKind.SLOW, 64, 1, -5));
    }

    @Test
    void shouldThrottleSlowTierWhenConfigured() {
        try (TierSlab slow = new TierSlab(new TierSpec(TierKind.SLOW, 64, 2, 1e9))) {
            assertEquals(1e9, slow.throttle().bytesPerSecond());
            slow.chargeRead(1000);
            slow.chargeWrite(300);
            assertEquals(1000, slow.throttle().bytesCharged(), "read direction");
            assertEquals(300, slow.writeThrottle().bytesCharged(), "write direction");
            assertEquals(1e9, slow.writeThrottle().bytesPerSecond());
        }
    }
}
