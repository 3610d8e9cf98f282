package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.I;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;
import static org.kvplace.kernels.internal.panama.PanamaConstants.S;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * IEEE binary16 to binary32 widening with the Vector API. JDK 25's Vector API has no half-float
 * conversion operator ({@code S2F} converts the short's integer value), so the bits are rebuilt:
 * sign-extend to ints, move exponent and mantissa up by 13 bits, multiply by {@code 2^112} (which
 * rebiases the exponent and normalises subnormals exactly), restore infinities and NaNs, then OR
 * the sign back in. Exact for every input.
 */
final class PanamaHalf {

    private static final float REBIAS = 0x1p112f;

    private PanamaHalf() {}

    /** Widens {@code n} halves at byte offset {@code off} of {@code seg} into {@code dst[0..n)}. */
    static void widen(MemorySegment seg, long off, float[] dst, int n) {
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += LANES) {
            widen(seg, off + (long) i * Short.BYTES).intoArray(dst, i);
        }
        for (; i < n; i++) {
            dst[i] = Float.float16ToFloat(seg.get(ValueLayout.JAVA_SHORT, off + (long) i * Short.BYTES));
        }
    }

    /** {@code LANES} halves at byte offset {@code off} as floats. */
    static FloatVector widen(MemorySegment seg, long off) {
        ShortVector h = ShortVector.fromMemorySegment(S, seg, off, ByteOrder.nativeOrder());
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = bits.and(0x7fff);
        FloatVector finite = magnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(REBIAS);
        VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7c00);
        IntVector special32 = magnitude.lanewise(VectorOperators.LSHL, 13).or(0x7f800000);
        IntVector widened = finite.reinterpretAsInts().blend(special32, special);
        IntVector sign = bits.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return widened.or(sign).reinterpretAsFloats();
    }
}
