package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.kvplace.kernels.internal.panama.PanamaDecodeKernel;
import org.kvplace.kernels.internal.panama.PanamaStreamProbe;

/**
 * The benchmark's synthetic streams read every float of their range, with the stated number of
 * FMAs per vector: each result is checked against a double-precision sum over the range, weighted
 * by the probe's fixed FMA constants (vector {@code i} of the range meets the constants of the
 * accumulators its position feeds).
 */
class StreamProbeTest {

    private static final float[] C = {1.0e-3f, 2.0e-3f, 3.0e-3f, 4.0e-3f};

    @Test
    void shouldReadEveryFloatOnceWithTheStatedFmasPerVector() {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API; ActiveKernelTest "
                + "asserts that this run expects the scalar kernel");
        int lanes = PanamaDecodeKernel.lanes();
        int floats = 64 * lanes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) (floats + 2 * lanes) * Float.BYTES, 64);
            for (int i = 0; i < floats + 2 * lanes; i++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i * 7 + 3) % 11);
            }
            long offset = 2L * lanes * Float.BYTES; // not at the start: the offset must be honoured
            long bytes = (long) floats * Float.BYTES;
            double even = 0;
            double odd = 0;
            for (int i = 0; i < floats; i++) {
                double x = ((i + 2 * lanes) * 7 + 3) % 11;
                if ((i / lanes) % 2 == 0) {
                    even += x;
                } else {
                    odd += x;
                }
            }
            double one = even * C[0] + odd * C[1];
            double two = even * ((double) C[0] + C[1]) + odd * ((double) C[2] + C[3]);
            double four = (even + odd) * ((double) C[0] + C[1] + C[2] + C[3]);
            assertEquals(one, PanamaStreamProbe.fmaPass(seg, offset, bytes, 1), 1e-4 * one);
            assertEquals(two, PanamaStreamProbe.fmaPass(seg, offset, bytes, 2), 1e-4 * two);
            assertEquals(four, PanamaStreamProbe.fmaPass(seg, offset, bytes, 4), 1e-4 * four);
            long block = 8L * lanes * Float.BYTES;
            assertEquals(3 * two, PanamaStreamProbe.blockPasses(seg, offset, bytes, block, 3), 1e-4 * 3 * two);
            assertTrue(two > 0);
        }
    }

    @Test
    void shouldRejectCountsThatDoNotDivide() {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4096, 64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PanamaStreamProbe.fmaPass(seg, 0, 4096, 3));
            assertTrue(e.getMessage().contains("fmas=3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> PanamaStreamProbe.fmaPass(seg, 0, 4, 1));
            assertTrue(e.getMessage().contains("bytes=4"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> PanamaStreamProbe.blockPasses(seg, 0, 4096, 1000, 1));
            assertTrue(e.getMessage().contains("block=1000"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> PanamaStreamProbe.blockPasses(seg, 0, 4096, 1024, 0));
            assertTrue(e.getMessage().contains("passes=0"), e.getMessage());
        }
    }
}
