package org.kvplace.kernels.internal.panama;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * IEEE binary16 to binary32 widening of a page block before the f32 kernels run on it.
 *
 * <p>JDK 25's Vector API has no half-float conversion operator ({@code S2F} converts the short's
 * integer value, not its half-float meaning). Of the two ways timed (figures in
 * {@code docs/performance.md}), rebuilding the bits with {@code ShortVector} loads, {@code S2I},
 * shifts, a {@code 2^112} rebias multiply and a blend for infinities and NaNs was the slower; the
 * plain loop below, which C2 compiles to vector half-to-float conversions ({@code vcvtph2ps})
 * through the {@link Float#float16ToFloat} intrinsic, was the faster. So the plain loop it is; it
 * is exact for every input.
 */
final class PanamaHalf {

    private PanamaHalf() {}

    /** Widens {@code n} halves at byte offset {@code off} of {@code seg} into {@code dst[0..n)}. */
    static void widen(MemorySegment seg, long off, float[] dst, int n) {
        for (int i = 0; i < n; i++) {
            dst[i] = Float.float16ToFloat(seg.get(ValueLayout.JAVA_SHORT, off + (long) i * Short.BYTES));
        }
    }
}
