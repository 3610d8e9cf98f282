package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Synthetic read streams that carry the decode kernel's arithmetic, for the benchmark that
 * measures how far one core overlaps arithmetic with a read from memory. Dense f32 attention with
 * four query heads per KV head costs one vector FMA per head for every vector of K and of V it
 * reads: four FMAs per vector. {@link #fmaPass} puts that arithmetic on a single front-to-back pass;
 * {@link #blockPasses} spreads it over several passes per block, the first from memory and the
 * others from L1, as the kernel does. Not API: exported to the benchmarks only.
 */
public final class PanamaStreamProbe {

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private PanamaStreamProbe() {}

    /**
     * Reads {@code bytes} bytes at {@code offset} of {@code segment} once, as floats, and feeds
     * every vector to {@code fmas} independent FMAs ({@code 1}, {@code 2} or {@code 4}).
     *
     * @param segment the memory to read
     * @param offset byte offset
     * @param bytes bytes to read, a multiple of two vectors
     * @param fmas FMAs per vector loaded: 1, 2 or 4
     * @return a sum of the accumulators (meaningless; returned so that nothing is elided)
     * @throws IllegalArgumentException if {@code fmas} is not 1, 2 or 4, or {@code bytes} is not a
     *     multiple of two vectors
     */
    public static float fmaPass(MemorySegment segment, long offset, long bytes, int fmas) {
        long step = F.vectorByteSize();
        if (bytes % (2 * step) != 0) {
            throw new IllegalArgumentException("bytes=" + bytes + " is not a multiple of " + 2 * step);
        }
        if (fmas != 1 && fmas != 2 && fmas != 4) {
            throw new IllegalArgumentException("fmas=" + fmas + " is not 1, 2 or 4");
        }
        FloatVector c0 = FloatVector.broadcast(F, 1.0e-3f);
        FloatVector c1 = FloatVector.broadcast(F, 2.0e-3f);
        FloatVector c2 = FloatVector.broadcast(F, 3.0e-3f);
        FloatVector c3 = FloatVector.broadcast(F, 4.0e-3f);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        long end = offset + bytes;
        // Three loops rather than one with a branch per vector: each keeps its accumulators in
        // registers and every chain has at least four FMAs in flight.
        if (fmas == 1) {
            for (long o = offset; o < end; o += 2 * step) {
                a0 = FloatVector.fromMemorySegment(F, segment, o, NATIVE).fma(c0, a0);
                a1 = FloatVector.fromMemorySegment(F, segment, o + step, NATIVE).fma(c1, a1);
            }
        } else if (fmas == 2) {
            for (long o = offset; o < end; o += 2 * step) {
                FloatVector v = FloatVector.fromMemorySegment(F, segment, o, NATIVE);
                a0 = v.fma(c0, a0);
                a1 = v.fma(c1, a1);
                v = FloatVector.fromMemorySegment(F, segment, o + step, NATIVE);
                b0 = v.fma(c2, b0);
                b1 = v.fma(c3, b1);
            }
        } else {
            for (long o = offset; o < end; o += 2 * step) {
                FloatVector v = FloatVector.fromMemorySegment(F, segment, o, NATIVE);
                a0 = v.fma(c0, a0);
                a1 = v.fma(c1, a1);
                a2 = v.fma(c2, a2);
                a3 = v.fma(c3, a3);
                v = FloatVector.fromMemorySegment(F, segment, o + step, NATIVE);
                b0 = v.fma(c0, b0);
                b1 = v.fma(c1, b1);
                b2 = v.fma(c2, b2);
                b3 = v.fma(c3, b3);
            }
        }
        return a0.add(a1).add(a2.add(a3)).add(b0.add(b1).add(b2.add(b3))).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Reads {@code bytes} bytes at {@code offset} in blocks of {@code block} bytes and makes
     * {@code passes} passes over each block before the next, each pass with two FMAs per vector:
     * the first pass brings the block from memory, the others find it in L1 (a block of 16 KiB is
     * one page of one KV head: 16 tokens of K and V, 128 dims, f32).
     *
     * @param segment the memory to read
     * @param offset byte offset
     * @param bytes bytes to read, a multiple of {@code block}
     * @param block bytes per block, a multiple of two vectors
     * @param passes passes per block, at least 1
     * @return a sum of the accumulators (meaningless)
     * @throws IllegalArgumentException on a block or byte count that does not divide, or
     *     {@code passes < 1}
     */
    public static float blockPasses(MemorySegment segment, long offset, long bytes, long block, int passes) {
        if (block <= 0 || bytes % block != 0) {
            throw new IllegalArgumentException("bytes=" + bytes + " is not a multiple of block=" + block);
        }
        if (passes < 1) {
            throw new IllegalArgumentException("passes=" + passes + " < 1");
        }
        float sum = 0f;
        for (long b = offset; b < offset + bytes; b += block) {
            for (int p = 0; p < passes; p++) {
                sum += fmaPass(segment, b, block, 2);
            }
        }
        return sum;
    }
}
