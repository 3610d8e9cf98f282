package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.kvplace.kernels.internal.panama.PanamaReadBaseline;

/**
 * The benchmarks' memory-bandwidth baseline reads every float of the range and nothing else: small
 * integers sum exactly in float, so the result must equal the exact sum for every length and start.
 */
class ReadBaselineTest {

    @Test
    void shouldSumExactlyTheFloatsOfTheRangeForAwkwardLengthsAndOffsets() {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API; ActiveKernelTest "
                + "asserts that this run expects the scalar kernel");
        int capacity = 5000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) capacity * Float.BYTES, 64);
            for (int i = 0; i < capacity; i++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i * 7 + 3) % 11); // 0..10, not periodic in 16
            }
            int[] starts = {0, 1, 3, 16, 17};
            int[] lengths = {0, 1, 3, 15, 16, 17, 63, 64, 65, 255, 256, 257, 4099};
            for (int start : starts) {
                for (int length : lengths) {
                    long expected = 0;
                    for (int i = start; i < start + length; i++) {
                        expected += (i * 7 + 3) % 11;
                    }
                    float sum = PanamaReadBaseline.sum(seg, (long) start * Float.BYTES, (long) length * Float.BYTES);
                    assertEquals(expected, (long) sum, "start " + start + " length " + length);
                }
            }
        }
    }
}
