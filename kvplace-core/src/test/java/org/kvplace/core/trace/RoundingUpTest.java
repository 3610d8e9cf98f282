package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.kvplace.core.memory.TierSlab;

/**
 * The public helpers that round up with {@link Math#ceilDiv} give what the hand-written
 * {@code (a + b - 1) / b} gave over their whole domain (non-negative sizes), including the ends
 * where {@code a + b - 1} would overflow an {@code int}.
 */
class RoundingUpTest {

    private static final int[] UNIT_TOKENS = {1, 2, 3, 16, 64, 1000, 1 << 16};

    @Test
    void shouldCountUnitsBeforeAPositionAsTheLongFormulaDid() {
        for (int unit : UNIT_TOKENS) {
            TraceHeader h = new TraceHeader(unit, 1, 1, 0, false);
            int[] positions = {0, 1, unit - 1, unit, unit + 1, 2 * unit - 1, 12_345, Integer.MAX_VALUE - 1,
                Integer.MAX_VALUE};
            for (int p : positions) {
                long expected = ((long) p + unit - 1) / unit;
                assertEquals(expected, h.unitsBefore(p), "position " + p + ", " + unit + "-token units");
            }
        }
    }

    @Test
    void shouldRoundSlotStridesUpToTheAlignment() {
        long a = TierSlab.SLOT_ALIGNMENT;
        assertEquals(0, TierSlab.strideFor(0));
        assertEquals(a, TierSlab.strideFor(1));
        assertEquals(a, TierSlab.strideFor(a));
        assertEquals(2 * a, TierSlab.strideFor(a + 1));
        for (long bytes = 0; bytes < 10 * a; bytes += 7) {
            assertEquals((bytes + a - 1) / a * a, TierSlab.strideFor(bytes), "slot of " + bytes + " bytes");
        }
        long big = Long.MAX_VALUE - a + 1; // the largest size the old formula handled without overflow
        assertEquals((big + a - 1) / a * a, TierSlab.strideFor(big));
    }
}
