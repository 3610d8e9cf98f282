package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TierMemoryTest {

    @Test
    void shouldRoundPagesUpToWholeSlotsAndSaturateOnOverflow() {
        assertEquals(0, TierMemory.slabBytes(0, 4097));
        assertEquals(4096, TierMemory.slabBytes(1, 1));
        assertEquals(4096, TierMemory.slabBytes(1, 4096));
        assertEquals(3 * 8192, TierMemory.slabBytes(3, 4097));
        // a page so large that rounding it up to a slot overflows: as many bytes as there can be
        assertEquals(Long.MAX_VALUE, TierMemory.slabBytes(1, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE - 4095, TierMemory.slabBytes(1, Long.MAX_VALUE - 4095)); // whole slots already
        assertEquals(Long.MAX_VALUE, TierMemory.slabBytes(1L << 40, 1L << 30));
    }
}
