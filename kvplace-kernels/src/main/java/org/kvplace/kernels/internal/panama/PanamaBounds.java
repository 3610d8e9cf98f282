package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * Quest page bounds in the exact evaluation order that {@code DecodeKernel.scorePages} defines:
 * sixteen logical accumulators, {@code a[d % 16] = fma(min(q,0), min_d, fma(max(q,0), max_d, a))},
 * summed by halving. A 512-bit vector holds the sixteen accumulators; narrower species split
 * them across two or four vectors, so every width gives bit-identical results to the scalar
 * reference and page selection is identical.
 */
final class PanamaBounds {

    // No helper here takes or returns a vector: a vector that crosses a call C2 did not inline is
    // boxed on the heap, and C2 sometimes declines to inline even small methods.
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

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
            if (headDim % LOGICAL_LANES == 0) {
                for (; g + 4 <= heads; g += 4) {
                    bounds512x4(qp, qn, qOff + g * headDim, headDim, meta, minOff, maxOff, blocks, out, g);
                }
            }
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

    /** Scalar tail into the same logical lanes, then the fixed halving sum. */
    private static float finish(float[] qp, float[] qn, int qOff, MemorySegment meta, long minOff, long maxOff,
            int headDim, int blocks, float[] lanes, int base) {
        for (int d = blocks * LOGICAL_LANES; d < headDim; d++) {
            float lo = meta.get(ValueLayout.JAVA_FLOAT, minOff + (long) d * Float.BYTES);
            float hi = meta.get(ValueLayout.JAVA_FLOAT, maxOff + (long) d * Float.BYTES);
            int lane = base + d % LOGICAL_LANES;
            lanes[lane] = Math.fma(qn[qOff + d], lo, Math.fma(qp[qOff + d], hi, lanes[lane]));
        }
        // The halving tree of DecodeKernel.scorePages: i + 8, then i + 4, i + 2, i + 1.
        float[] a = lanes;
        int b = base;
        float h0 = a[b] + a[b + 8];
        float h1 = a[b + 1] + a[b + 9];
        float h2 = a[b + 2] + a[b + 10];
        float h3 = a[b + 3] + a[b + 11];
        float h4 = a[b + 4] + a[b + 12];
        float h5 = a[b + 5] + a[b + 13];
        float h6 = a[b + 6] + a[b + 14];
        float h7 = a[b + 7] + a[b + 15];
        float q0 = h0 + h4;
        float q1 = h1 + h5;
        float q2 = h2 + h6;
        float q3 = h3 + h7;
        return (q0 + q2) + (q1 + q3);
    }

    /** Lane {@code i} takes lane {@code i + 8}, {@code i + 4}, {@code i + 2} (mod 16): the halving sum's steps. */
    private static final VectorShuffle<Float> HALF = VectorShuffle.iota(F, 8, 1, true);
    private static final VectorShuffle<Float> QUARTER = VectorShuffle.iota(F, 4, 1, true);
    private static final VectorShuffle<Float> EIGHTH = VectorShuffle.iota(F, 2, 1, true);

    /**
     * Four heads at 512 bits with no scalar tail ({@code headDim % 16 == 0}): the halving sum runs
     * in registers (three rotate-and-add steps, then lane 0 plus lane 1), the same additions in the
     * same order as the scalar {@link #finish}, so the result is bit-identical.
     */
    private static void bounds512x4(float[] qp, float[] qn, int qOff, int headDim, MemorySegment meta, long minOff,
            long maxOff, int blocks, float[] out, int outOff) {
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
        // The halving sum, written out per head (see the class comment on helpers taking vectors).
        FloatVector h0 = a0.add(a0.rearrange(HALF));
        FloatVector h1 = a1.add(a1.rearrange(HALF));
        FloatVector h2 = a2.add(a2.rearrange(HALF));
        FloatVector h3 = a3.add(a3.rearrange(HALF));
        h0 = h0.add(h0.rearrange(QUARTER));
        h1 = h1.add(h1.rearrange(QUARTER));
        h2 = h2.add(h2.rearrange(QUARTER));
        h3 = h3.add(h3.rearrange(QUARTER));
        h0 = h0.add(h0.rearrange(EIGHTH));
        h1 = h1.add(h1.rearrange(EIGHTH));
        h2 = h2.add(h2.rearrange(EIGHTH));
        h3 = h3.add(h3.rearrange(EIGHTH));
        out[outOff] = h0.lane(0) + h0.lane(1);
        out[outOff + 1] = h1.lane(0) + h1.lane(1);
        out[outOff + 2] = h2.lane(0) + h2.lane(1);
        out[outOff + 3] = h3.lane(0) + h3.lane(1);
    }

    // The merges of boundsPair512x4: HI_s marks the lanes whose index has bit s set; SWAP_s exchanges
    // lane j with lane j ^ s. Used only at 512 bits (sixteen lanes), the only width that calls it.
    private static final VectorMask<Float> HI8 = F.length() == 16 ? hi(8) : null;
    private static final VectorMask<Float> HI4 = F.length() == 16 ? hi(4) : null;
    private static final VectorMask<Float> HI2 = F.length() == 16 ? hi(2) : null;
    private static final VectorShuffle<Float> SWAP8 = F.length() == 16 ? swap(8) : null;
    private static final VectorShuffle<Float> SWAP4 = F.length() == 16 ? swap(4) : null;
    private static final VectorShuffle<Float> SWAP2 = F.length() == 16 ? swap(2) : null;
    private static final VectorShuffle<Float> SWAP1 = F.length() == 16 ? swap(1) : null;

    private static VectorMask<Float> hi(int s) {
        boolean[] bits = new boolean[F.length()];
        for (int j = 0; j < bits.length; j++) {
            bits[j] = (j & s) != 0;
        }
        return VectorMask.fromArray(F, bits, 0);
    }

    private static VectorShuffle<Float> swap(int s) {
        return VectorShuffle.fromOp(F, j -> j ^ s);
    }

    /**
     * Four heads against two pages at once, at 512 bits with no scalar tail ({@code headDim % 16 ==
     * 0}): the query blocks are loaded once for both pages, and the eight accumulator chains keep the
     * FMA units busy where one page's four chains wait on FMA latency. The eight halving sums then run
     * together, transposed: merging two vectors puts the pairwise sums of one in the lanes without bit
     * {@code s} and those of the other in the lanes with it, so three levels of merges and a final
     * swap-and-add leave head {@code k}'s sum in lane {@code 2k}. Each lane sees the additions of
     * {@link #finish} in its order (float addition commutes), so the results are bit-identical to
     * {@link #bounds512x4} and to the scalar reference. Writes {@code out[0..4)} for the first page
     * and {@code out[4..8)} for the second.
     *
     * @param lanes scratch of at least 16 floats
     */
    static void boundsPair512x4(float[] qp, float[] qn, int qOff, int headDim, MemorySegment meta, long minOffA,
            long maxOffA, long minOffB, long maxOffB, float[] lanes, float[] out) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        for (int d = 0; d < headDim; d += 16) {
            long o = (long) d * Float.BYTES;
            FloatVector loA = FloatVector.fromMemorySegment(F, meta, minOffA + o, NATIVE);
            FloatVector hiA = FloatVector.fromMemorySegment(F, meta, maxOffA + o, NATIVE);
            FloatVector loB = FloatVector.fromMemorySegment(F, meta, minOffB + o, NATIVE);
            FloatVector hiB = FloatVector.fromMemorySegment(F, meta, maxOffB + o, NATIVE);
            int i = qOff + d;
            FloatVector n = FloatVector.fromArray(F, qn, i);
            FloatVector p = FloatVector.fromArray(F, qp, i);
            a0 = n.fma(loA, p.fma(hiA, a0));
            b0 = n.fma(loB, p.fma(hiB, b0));
            i += headDim;
            n = FloatVector.fromArray(F, qn, i);
            p = FloatVector.fromArray(F, qp, i);
            a1 = n.fma(loA, p.fma(hiA, a1));
            b1 = n.fma(loB, p.fma(hiB, b1));
            i += headDim;
            n = FloatVector.fromArray(F, qn, i);
            p = FloatVector.fromArray(F, qp, i);
            a2 = n.fma(loA, p.fma(hiA, a2));
            b2 = n.fma(loB, p.fma(hiB, b2));
            i += headDim;
            n = FloatVector.fromArray(F, qn, i);
            p = FloatVector.fromArray(F, qp, i);
            a3 = n.fma(loA, p.fma(hiA, a3));
            b3 = n.fma(loB, p.fma(hiB, b3));
        }
        // Rows a0 a1 a2 a3 b0 b1 b2 b3 = heads 0..7. Level 8 pairs row k with row k + 4.
        FloatVector u0 = a0.blend(b0, HI8).add(b0.blend(a0, HI8).rearrange(SWAP8));
        FloatVector u1 = a1.blend(b1, HI8).add(b1.blend(a1, HI8).rearrange(SWAP8));
        FloatVector u2 = a2.blend(b2, HI8).add(b2.blend(a2, HI8).rearrange(SWAP8));
        FloatVector u3 = a3.blend(b3, HI8).add(b3.blend(a3, HI8).rearrange(SWAP8));
        // Level 4 pairs u0 with u2 and u1 with u3; level 2 pairs the two results.
        FloatVector w0 = u0.blend(u2, HI4).add(u2.blend(u0, HI4).rearrange(SWAP4));
        FloatVector w1 = u1.blend(u3, HI4).add(u3.blend(u1, HI4).rearrange(SWAP4));
        FloatVector v = w0.blend(w1, HI2).add(w1.blend(w0, HI2).rearrange(SWAP2));
        v.add(v.rearrange(SWAP1)).intoArray(lanes, 0);
        out[0] = lanes[0];
        out[1] = lanes[2];
        out[2] = lanes[4];
        out[3] = lanes[6];
        out[4] = lanes[8];
        out[5] = lanes[10];
        out[6] = lanes[12];
        out[7] = lanes[14];
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
            int d = b * 16;
            long o0 = (long) d * Float.BYTES;
            FloatVector lo0 = FloatVector.fromMemorySegment(F, meta, minOff + o0, NATIVE);
            FloatVector hi0 = FloatVector.fromMemorySegment(F, meta, maxOff + o0, NATIVE);
            a0 = FloatVector.fromArray(F, qn, qOff + d).fma(lo0, FloatVector.fromArray(F, qp, qOff + d).fma(hi0, a0));
        }
        a0.intoArray(lanes, 0);
    }

    private static void body256(float[] qp, float[] qn, int qOff, MemorySegment meta, long minOff, long maxOff, int blocks,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            int d = b * 16;
            long o0 = (long) d * Float.BYTES;
            FloatVector lo0 = FloatVector.fromMemorySegment(F, meta, minOff + o0, NATIVE);
            FloatVector hi0 = FloatVector.fromMemorySegment(F, meta, maxOff + o0, NATIVE);
            a0 = FloatVector.fromArray(F, qn, qOff + d).fma(lo0, FloatVector.fromArray(F, qp, qOff + d).fma(hi0, a0));
            long o1 = (long) (d + 8) * Float.BYTES;
            FloatVector lo1 = FloatVector.fromMemorySegment(F, meta, minOff + o1, NATIVE);
            FloatVector hi1 = FloatVector.fromMemorySegment(F, meta, maxOff + o1, NATIVE);
            a1 = FloatVector.fromArray(F, qn, qOff + d + 8)
                    .fma(lo1, FloatVector.fromArray(F, qp, qOff + d + 8).fma(hi1, a1));
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
            int d = b * 16;
            long o0 = (long) d * Float.BYTES;
            FloatVector lo0 = FloatVector.fromMemorySegment(F, meta, minOff + o0, NATIVE);
            FloatVector hi0 = FloatVector.fromMemorySegment(F, meta, maxOff + o0, NATIVE);
            a0 = FloatVector.fromArray(F, qn, qOff + d).fma(lo0, FloatVector.fromArray(F, qp, qOff + d).fma(hi0, a0));
            long o1 = (long) (d + 4) * Float.BYTES;
            FloatVector lo1 = FloatVector.fromMemorySegment(F, meta, minOff + o1, NATIVE);
            FloatVector hi1 = FloatVector.fromMemorySegment(F, meta, maxOff + o1, NATIVE);
            a1 = FloatVector.fromArray(F, qn, qOff + d + 4)
                    .fma(lo1, FloatVector.fromArray(F, qp, qOff + d + 4).fma(hi1, a1));
            long o2 = (long) (d + 8) * Float.BYTES;
            FloatVector lo2 = FloatVector.fromMemorySegment(F, meta, minOff + o2, NATIVE);
            FloatVector hi2 = FloatVector.fromMemorySegment(F, meta, maxOff + o2, NATIVE);
            a2 = FloatVector.fromArray(F, qn, qOff + d + 8)
                    .fma(lo2, FloatVector.fromArray(F, qp, qOff + d + 8).fma(hi2, a2));
            long o3 = (long) (d + 12) * Float.BYTES;
            FloatVector lo3 = FloatVector.fromMemorySegment(F, meta, minOff + o3, NATIVE);
            FloatVector hi3 = FloatVector.fromMemorySegment(F, meta, maxOff + o3, NATIVE);
            a3 = FloatVector.fromArray(F, qn, qOff + d + 12)
                    .fma(lo3, FloatVector.fromArray(F, qp, qOff + d + 12).fma(hi3, a3));
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 4);
        a2.intoArray(lanes, 8);
        a3.intoArray(lanes, 12);
    }
}
