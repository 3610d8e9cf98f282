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
     * Splits {@code q} into its positive part {@code qp = max(q, 0)} and negative part
     * {@code qn = min(q, 0)}, once per call rather than once per page.
     */
    static void split(float[] q, float[] qp, float[] qn) {
        int i = 0;
        int bound = F.loopBound(q.length);
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, q, i);
            v.max(0f).intoArray(qp, i);
            v.min(0f).intoArray(qn, i);
        }
        for (; i < q.length; i++) {
            qp[i] = Math.max(q[i], 0f);
            qn[i] = Math.min(q[i], 0f);
        }
    }

    /**
     * Bounds of {@code heads} consecutive query heads from {@code qOff} against one page's key
     * metadata (one KV head), into {@code out[0 .. heads)}.
     *
     * @param lanes scratch of {@code 4 * 16} floats
     */
    static void bounds(float[] qp, float[] qn, int qOff, int heads, int headDim, MemorySegment meta, long minOff,
            long maxOff, float[] lanes, float[] out) {
        int blocks = headDim / LOGICAL_LANES;
        int g = 0;
        if (F.length() == 16) {
            for (; g + 4 <= heads; g += 4) {
                body512x4(qp, qn, qOff + g * headDim, headDim, meta, minOff, maxOff, blocks, lanes);
                for (int j = 0; j < 4; j++) {
                    out[g + j] = finish(qp, qn, qOff + (g + j) * headDim, meta, minOff, maxOff, headDim, blocks,
                            lanes, j * LOGICAL_LANES);
                }
            }
        }
        for (; g < heads; g++) {
            int o = qOff + g * headDim;
            switch (F.length()) {
                case 16 -> body512(qp, qn, o, meta, minOff, maxOff, blocks, lanes);
                case 8 -> body256(qp, qn, o, meta, minOff, maxOff, blocks, lanes);
                default -> body128(qp, qn, o, meta, minOff, maxOff, blocks, lanes);
            }
            out[g] = finish(qp, qn, o, meta, minOff, maxOff, headDim, blocks, lanes, 0);
        }
    }

    /** Scalar tail into the same logical lanes, then the fixed left-to-right sum. */
    private static float finish(float[] qp, float[] qn, int qOff, MemorySegment meta, long minOff, long maxOff,
            int headDim, int blocks, float[] lanes, int base) {
        for (int d = blocks * LOGICAL_LANES; d < headDim; d++) {
            float lo = meta.get(ValueLayout.JAVA_FLOAT, minOff + (long) d * Float.BYTES);
            float hi = meta.get(ValueLayout.JAVA_FLOAT, maxOff + (long) d * Float.BYTES);
            int lane = base + d % LOGICAL_LANES;
            lanes[lane] = Math.fma(qn[qOff + d], lo, Math.fma(qp[qOff + d], hi, lanes[lane]));
        }
        float sum = 0f;
        for (int i = 0; i < LOGICAL_LANES; i++) {
            sum += lanes[base + i];
        }
        return sum;
    }

    private static FloatVector step(float[] qp, float[] qn, int qOff, MemorySegment meta, long minOff, long maxOff,
            int d, FloatVector acc) {
        long o = (long) d * Float.BYTES;
        FloatVector lo = FloatVector.fromMemorySegment(F, meta, minOff + o, ByteOrder.nativeOrder());
        FloatVector hi = FloatVector.fromMemorySegment(F, meta, maxOff + o, ByteOrder.nativeOrder());
        return FloatVector.fromArray(F, qn, qOff + d).fma(lo, FloatVector.fromArray(F, qp, qOff + d).fma(hi, acc));
    }

    /** Four heads at once at 512 bits: each metadata block is loaded once for the four. */
    private static void body512x4(float[] qp, float[] qn, int qOff, int headDim, MemorySegment meta, long minOff,
            long maxOff, int blocks, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int d = b * 16;
            long o = (long) d * Float.BYTES;
            FloatVector lo = FloatVector.fromMemorySegment(F, meta, minOff + o, ByteOrder.nativeOrder());
            FloatVector hi = FloatVector.fromMemorySegment(F, meta, maxOff + o, ByteOrder.nativeOrder());
            int i = qOff + d;
            a0 = FloatVector.fromArray(F, qn, i).fma(lo, FloatVector.fromArray(F, qp, i).fma(hi, a0));
            i += headDim;
            a1 = FloatVector.fromArray(F, qn, i).fma(lo, FloatVector.fromArray(F, qp, i).fma(hi, a1));
            i += headDim;
            a2 = FloatVector.fromArray(F, qn, i).fma(lo, FloatVector.fromArray(F, qp, i).fma(hi, a2));
            i += headDim;
            a3 = FloatVector.fromArray(F, qn, i).fma(lo, FloatVector.fromArray(F, qp, i).fma(hi, a3));
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 16);
        a2.intoArray(lanes, 32);
        a3.intoArray(lanes, 48);
    }

    private static void body512(float[] qp, float[] qn, int qOff, MemorySegment meta, long minOff, long maxOff, int blocks,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            a0 = step(qp, qn, qOff, meta, minOff, maxOff, b * 16, a0);
        }
        a0.intoArray(lanes, 0);
    }

    private static void body256(float[] qp, float[] qn, int qOff, MemorySegment meta, long minOff, long maxOff, int blocks,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            a0 = step(qp, qn, qOff, meta, minOff, maxOff, b * 16, a0);
            a1 = step(qp, qn, qOff, meta, minOff, maxOff, b * 16 + 8, a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
    }

    private static void body128(float[] qp, float[] qn, int qOff, MemorySegment meta, long minOff, long maxOff, int blocks,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            a0 = step(qp, qn, qOff, meta, minOff, maxOff, b * 16, a0);
            a1 = step(qp, qn, qOff, meta, minOff, maxOff, b * 16 + 4, a1);
            a2 = step(qp, qn, qOff, meta, minOff, maxOff, b * 16 + 8, a2);
            a3 = step(qp, qn, qOff, meta, minOff, maxOff, b * 16 + 12, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 4);
        a2.intoArray(lanes, 8);
        a3.intoArray(lanes, 12);
    }
}
