package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Quest page bounds in the exact evaluation order that {@code DecodeKernel.scorePages} defines:
 * sixteen logical accumulators, {@code a[d % 16] = fma(min(q,0), min_d, fma(max(q,0), max_d, a))},
 * summed left to right. A 512-bit vector holds the sixteen accumulators; narrower species split
 * them across two or four vectors, so every width gives bit-identical results to the scalar
 * reference and page selection is identical.
 */
final class PanamaBounds {

    static final int LOGICAL_LANES = 16;

    private PanamaBounds() {}

    /**
     * Bound of one query head against one page's key metadata.
     *
     * @param lanes scratch of 16 floats
     */
    static float bound(float[] q, int qOff, MemorySegment meta, long minOff, long maxOff, int headDim, float[] lanes) {
        int blocks = headDim / LOGICAL_LANES;
        switch (F.length()) {
            case 16 -> body512(q, qOff, meta, minOff, maxOff, blocks, lanes);
            case 8 -> body256(q, qOff, meta, minOff, maxOff, blocks, lanes);
            default -> body128(q, qOff, meta, minOff, maxOff, blocks, lanes);
        }
        // Scalar tail into the same logical lanes, then the fixed left-to-right sum.
        for (int d = blocks * LOGICAL_LANES; d < headDim; d++) {
            float qd = q[qOff + d];
            float lo = meta.get(ValueLayout.JAVA_FLOAT, minOff + (long) d * Float.BYTES);
            float hi = meta.get(ValueLayout.JAVA_FLOAT, maxOff + (long) d * Float.BYTES);
            int lane = d % LOGICAL_LANES;
            lanes[lane] = Math.fma(Math.min(qd, 0f), lo, Math.fma(Math.max(qd, 0f), hi, lanes[lane]));
        }
        float sum = 0f;
        for (int i = 0; i < LOGICAL_LANES; i++) {
            sum += lanes[i];
        }
        return sum;
    }

    private static FloatVector step(float[] q, int qOff, MemorySegment meta, long minOff, long maxOff, int d,
            FloatVector acc) {
        FloatVector qv = FloatVector.fromArray(F, q, qOff + d);
        long o = (long) d * Float.BYTES;
        FloatVector lo = FloatVector.fromMemorySegment(F, meta, minOff + o, ByteOrder.nativeOrder());
        FloatVector hi = FloatVector.fromMemorySegment(F, meta, maxOff + o, ByteOrder.nativeOrder());
        return qv.min(0f).fma(lo, qv.max(0f).fma(hi, acc));
    }

    private static void body512(float[] q, int qOff, MemorySegment meta, long minOff, long maxOff, int blocks,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            a0 = step(q, qOff, meta, minOff, maxOff, b * 16, a0);
        }
        a0.intoArray(lanes, 0);
    }

    private static void body256(float[] q, int qOff, MemorySegment meta, long minOff, long maxOff, int blocks,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            a0 = step(q, qOff, meta, minOff, maxOff, b * 16, a0);
            a1 = step(q, qOff, meta, minOff, maxOff, b * 16 + 8, a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
    }

    private static void body128(float[] q, int qOff, MemorySegment meta, long minOff, long maxOff, int blocks,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            a0 = step(q, qOff, meta, minOff, maxOff, b * 16, a0);
            a1 = step(q, qOff, meta, minOff, maxOff, b * 16 + 4, a1);
            a2 = step(q, qOff, meta, minOff, maxOff, b * 16 + 8, a2);
            a3 = step(q, qOff, meta, minOff, maxOff, b * 16 + 12, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 4);
        a2.intoArray(lanes, 8);
        a3.intoArray(lanes, 12);
    }
}
