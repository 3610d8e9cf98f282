package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/** The Vector API f16 widening, checked on all 65,536 bit patterns (Vector API runs only). */
class HalfWideningTest {

    @Test
    void shouldWidenEveryHalfExactly() throws Exception {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API; ActiveKernelTest "
                + "asserts that this run expects the scalar kernel");
        Method widen = Class.forName("org.kvplace.kernels.internal.panama.PanamaHalf")
                .getDeclaredMethod("widen", MemorySegment.class, long.class, float[].class, int.class);
        widen.setAccessible(true);
        int n = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) n * Short.BYTES + 2, 64);
            for (int i = 0; i < n; i++) {
                seg.set(ValueLayout.JAVA_SHORT, 2 + (long) i * Short.BYTES, (short) i); // unaligned start
            }
            float[] out = new float[n];
            widen.invoke(null, seg, 2L, out, n);
            for (int i = 0; i < n; i++) {
                float expected = Float.float16ToFloat((short) i);
                if (Float.isNaN(expected)) {
                    assertEquals(true, Float.isNaN(out[i]), "bits 0x" + Integer.toHexString(i));
                } else {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[i]),
                            "bits 0x" + Integer.toHexString(i));
                }
            }
        }
    }
}
