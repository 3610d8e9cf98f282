package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;

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
        // The address itself is the induction variable and the loop compares it with the end: C2
        // keeps this loop to four loads and four adds per iteration. Computing each address from a
        // float index (offset + i * 4) measured 12-16 GB/s on a machine where this form reads 20-22
        // GB/s from DRAM, which would make the baseline, and every ratio against it, too kind.
        long vectorBytes = F.vectorByteSize();
        long end = offset + bytes;
        long unrolledEnd = offset + bytes - bytes % (4 * vectorBytes);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        long o = offset;
        for (; o < unrolledEnd; o += 4 * vectorBytes) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, segment, o, ByteOrder.nativeOrder()));
            a1 = a1.add(FloatVector.fromMemorySegment(F, segment, o + vectorBytes, ByteOrder.nativeOrder()));
            a2 = a2.add(FloatVector.fromMemorySegment(F, segment, o + 2 * vectorBytes, ByteOrder.nativeOrder()));
            a3 = a3.add(FloatVector.fromMemorySegment(F, segment, o + 3 * vectorBytes, ByteOrder.nativeOrder()));
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; o < end; o += Float.BYTES) {
            sum += segment.get(ValueLayout.JAVA_FLOAT, o);
        }
        return sum;
    }
}
