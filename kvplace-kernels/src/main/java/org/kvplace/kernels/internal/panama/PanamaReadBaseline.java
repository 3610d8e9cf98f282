package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The memory-bandwidth baseline of the decode benchmarks: a plain vectorised sum of a byte range
 * read as floats, with four accumulators, so that attention can be compared with the speed of
 * reading the same KV bytes and doing nothing else.
 */
public final class PanamaReadBaseline {

    private PanamaReadBaseline() {}

    /**
     * Sums {@code bytes} bytes at {@code offset} of {@code segment} read as native-order floats.
     *
     * @param segment the memory to read
     * @param offset byte offset, a multiple of 4
     * @param bytes bytes to read, a multiple of 4
     * @return the float sum (meaningless; returned so that the reads cannot be elided)
     */
    public static float sum(MemorySegment segment, long offset, long bytes) {
        long n = bytes / Float.BYTES;
        long step = 4L * LANES;
        long unrolled = n - n % step;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        long i = 0;
        for (; i < unrolled; i += step) {
            long o = offset + i * Float.BYTES;
            a0 = a0.add(FloatVector.fromMemorySegment(F, segment, o, ByteOrder.nativeOrder()));
            a1 = a1.add(FloatVector.fromMemorySegment(F, segment, o + (long) LANES * Float.BYTES, ByteOrder.nativeOrder()));
            a2 = a2.add(FloatVector.fromMemorySegment(F, segment, o + 2L * LANES * Float.BYTES, ByteOrder.nativeOrder()));
            a3 = a3.add(FloatVector.fromMemorySegment(F, segment, o + 3L * LANES * Float.BYTES, ByteOrder.nativeOrder()));
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += segment.get(ValueLayout.JAVA_FLOAT, offset + i * Float.BYTES);
        }
        return sum;
    }
}
