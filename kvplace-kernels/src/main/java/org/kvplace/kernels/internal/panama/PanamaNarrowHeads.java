package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Attention over heads narrower than a vector (4 or 8 floats, as in stories260K): one vector holds
 * the rows of {@code LANES / headDim} consecutive tokens, which a page stores back to back.
 *
 * <p>Scores: a block of {@code LANES} tokens is {@code headDim} vectors of key rows, each multiplied
 * by the query repeated across the vector; the products are summed per token by a transposing tree
 * ({@link PanamaLaneTree}) into one vector of the block's {@code LANES} scores, so the block costs
 * {@code headDim - 1} tree steps instead of one horizontal reduction per token. Weighted sums: each
 * value vector is multiplied by the block's weights spread over its rows (one lane shuffle) into a
 * register accumulator whose row slices are added up once per page.
 *
 * <p>Rows of a block beyond the last whole vector of the page repeat the block's first vector, so
 * that every load stays inside the rows written; their lanes are never stored (scores) or get weight
 * {@code 0} (sums). The last {@code tokens % (LANES / headDim)} tokens are done with scalars.
 */
final class PanamaNarrowHeads {

    // No helper here takes or returns a vector (see PanamaDots).
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long STEP = (long) LANES * Float.BYTES;
    /** Scalar reads of rows: the pages are aligned, and the unaligned layout spares the alignment check. */
    private static final ValueLayout.OfFloat UNALIGNED = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Spreads the weight of row {@code j * LANES/8 + i/8} of a block over lane {@code i}: heads of 8. */
    private static final VectorShuffle<Float> W8_0 = spread(8, 0);
    private static final VectorShuffle<Float> W8_1 = spread(8, 1);
    private static final VectorShuffle<Float> W8_2 = spread(8, 2);
    private static final VectorShuffle<Float> W8_3 = spread(8, 3);
    private static final VectorShuffle<Float> W8_4 = spread(8, 4);
    private static final VectorShuffle<Float> W8_5 = spread(8, 5);
    private static final VectorShuffle<Float> W8_6 = spread(8, 6);
    private static final VectorShuffle<Float> W8_7 = spread(8, 7);
    /** The same for heads of 4. */
    private static final VectorShuffle<Float> W4_0 = spread(4, 0);
    private static final VectorShuffle<Float> W4_1 = spread(4, 1);
    private static final VectorShuffle<Float> W4_2 = spread(4, 2);
    private static final VectorShuffle<Float> W4_3 = spread(4, 3);

    private PanamaNarrowHeads() {}

    /** Whether heads of {@code headDim} floats take this class's path at this vector width. */
    static boolean supports(int headDim) {
        return (headDim == 8 || headDim == 4) && headDim < LANES;
    }

    /**
     * Writes {@code LANES} copies' worth of each query head: {@code rep[h * LANES + i] = q[h * headDim
     * + i % headDim]} for the {@code heads} heads.
     */
    static void repeat(float[] q, int heads, int headDim, float[] rep) {
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < LANES; i++) {
                rep[h * LANES + i] = q[h * headDim + i % headDim];
            }
        }
    }

    /**
     * Scores of query heads {@code h0 .. h0+group-1} (repeated by {@link #repeat} in {@code rep})
     * against {@code tokens} rows of 8 floats at byte offset {@code off}:
     * {@code w[g * wStride + t] = scale * q_g . row_t}. {@code wStride} is at least {@code tokens}
     * rounded up to {@code LANES} (a block stores all its lanes). {@code max[g]} receives the largest
     * score of head {@code g} (a block's lanes past its rows repeat scores of its first rows).
     */
    static void scores8(float[] rep, int h0, int group, MemorySegment seg, long off, int tokens, float[] w,
            int wStride, float scale, float[] max) {
        java.util.Arrays.fill(max, 0, group, Float.NEGATIVE_INFINITY);
        final int perVector = LANES / 8;
        int whole = tokens - tokens % perVector;
        for (int t0 = 0; t0 < whole; t0 += LANES) {
            long o = off + (long) t0 * 8 * Float.BYTES;
            int rows = whole - t0;
            FloatVector k0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE);
            FloatVector k1 = FloatVector.fromMemorySegment(F, seg, rows > perVector ? o + STEP : o, NATIVE);
            FloatVector k2 = FloatVector.fromMemorySegment(F, seg, rows > 2 * perVector ? o + 2 * STEP : o, NATIVE);
            FloatVector k3 = FloatVector.fromMemorySegment(F, seg, rows > 3 * perVector ? o + 3 * STEP : o, NATIVE);
            FloatVector k4 = FloatVector.fromMemorySegment(F, seg, rows > 4 * perVector ? o + 4 * STEP : o, NATIVE);
            FloatVector k5 = FloatVector.fromMemorySegment(F, seg, rows > 5 * perVector ? o + 5 * STEP : o, NATIVE);
            FloatVector k6 = FloatVector.fromMemorySegment(F, seg, rows > 6 * perVector ? o + 6 * STEP : o, NATIVE);
            FloatVector k7 = FloatVector.fromMemorySegment(F, seg, rows > 7 * perVector ? o + 7 * STEP : o, NATIVE);
            for (int g = 0; g < group; g++) {
                FloatVector q = FloatVector.fromArray(F, rep, (h0 + g) * LANES);
                FloatVector p0 = q.mul(k0);
                FloatVector p1 = q.mul(k1);
                FloatVector p2 = q.mul(k2);
                FloatVector p3 = q.mul(k3);
                FloatVector p4 = q.mul(k4);
                FloatVector p5 = q.mul(k5);
                FloatVector p6 = q.mul(k6);
                FloatVector p7 = q.mul(k7);
                // The tree of PanamaLaneTree, written out: lane bit 0, then 1, then 2.
                FloatVector a0 = p0.blend(p1, PanamaLaneTree.BIT0)
                        .add(p1.blend(p0, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
                FloatVector a1 = p2.blend(p3, PanamaLaneTree.BIT0)
                        .add(p3.blend(p2, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
                FloatVector a2 = p4.blend(p5, PanamaLaneTree.BIT0)
                        .add(p5.blend(p4, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
                FloatVector a3 = p6.blend(p7, PanamaLaneTree.BIT0)
                        .add(p7.blend(p6, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
                FloatVector b0 = a0.blend(a1, PanamaLaneTree.BIT1)
                        .add(a1.blend(a0, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
                FloatVector b1 = a2.blend(a3, PanamaLaneTree.BIT1)
                        .add(a3.blend(a2, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
                FloatVector s = b0.blend(b1, PanamaLaneTree.BIT2)
                        .add(b1.blend(b0, PanamaLaneTree.BIT2).rearrange(PanamaLaneTree.SWAP4));
                s = s.rearrange(PanamaLaneTree.ORDER8).mul(scale);
                s.intoArray(w, g * wStride + t0);
                // The block's largest score: a tree of swaps and lane-wise maxima, written out.
                FloatVector m = s.max(s.rearrange(PanamaLaneTree.SWAP1));
                m = m.max(m.rearrange(PanamaLaneTree.SWAP2));
                if (LANES >= 8) {
                    m = m.max(m.rearrange(PanamaLaneTree.SWAP4));
                }
                if (LANES >= 16) {
                    m = m.max(m.rearrange(PanamaLaneTree.SWAP8));
                }
                max[g] = Math.max(max[g], m.lane(0));
            }
        }
        scalarScores(rep, h0, group, 8, seg, off, whole, tokens, w, wStride, scale, max);
    }

    /** {@link #scores8} for rows of 4 floats. */
    static void scores4(float[] rep, int h0, int group, MemorySegment seg, long off, int tokens, float[] w,
            int wStride, float scale, float[] max) {
        java.util.Arrays.fill(max, 0, group, Float.NEGATIVE_INFINITY);
        final int perVector = LANES / 4;
        int whole = tokens - tokens % perVector;
        for (int t0 = 0; t0 < whole; t0 += LANES) {
            long o = off + (long) t0 * 4 * Float.BYTES;
            int rows = whole - t0;
            FloatVector k0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE);
            FloatVector k1 = FloatVector.fromMemorySegment(F, seg, rows > perVector ? o + STEP : o, NATIVE);
            FloatVector k2 = FloatVector.fromMemorySegment(F, seg, rows > 2 * perVector ? o + 2 * STEP : o, NATIVE);
            FloatVector k3 = FloatVector.fromMemorySegment(F, seg, rows > 3 * perVector ? o + 3 * STEP : o, NATIVE);
            for (int g = 0; g < group; g++) {
                FloatVector q = FloatVector.fromArray(F, rep, (h0 + g) * LANES);
                FloatVector p0 = q.mul(k0);
                FloatVector p1 = q.mul(k1);
                FloatVector p2 = q.mul(k2);
                FloatVector p3 = q.mul(k3);
                FloatVector a0 = p0.blend(p1, PanamaLaneTree.BIT0)
                        .add(p1.blend(p0, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
                FloatVector a1 = p2.blend(p3, PanamaLaneTree.BIT0)
                        .add(p3.blend(p2, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
                FloatVector s = a0.blend(a1, PanamaLaneTree.BIT1)
                        .add(a1.blend(a0, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
                s = s.rearrange(PanamaLaneTree.ORDER4).mul(scale);
                s.intoArray(w, g * wStride + t0);
                // The block's largest score: a tree of swaps and lane-wise maxima, written out.
                FloatVector m = s.max(s.rearrange(PanamaLaneTree.SWAP1));
                m = m.max(m.rearrange(PanamaLaneTree.SWAP2));
                if (LANES >= 8) {
                    m = m.max(m.rearrange(PanamaLaneTree.SWAP4));
                }
                if (LANES >= 16) {
                    m = m.max(m.rearrange(PanamaLaneTree.SWAP8));
                }
                max[g] = Math.max(max[g], m.lane(0));
            }
        }
        scalarScores(rep, h0, group, 4, seg, off, whole, tokens, w, wStride, scale, max);
    }

    private static void scalarScores(float[] rep, int h0, int group, int headDim, MemorySegment seg, long off,
            int from, int tokens, float[] w, int wStride, float scale, float[] max) {
        for (int t = from; t < tokens; t++) {
            long o = off + (long) t * headDim * Float.BYTES;
            for (int g = 0; g < group; g++) {
                int qOff = (h0 + g) * LANES;
                float s = 0f;
                for (int d = 0; d < headDim; d++) {
                    s += rep[qOff + d] * seg.get(UNALIGNED, o + (long) d * Float.BYTES);
                }
                w[g * wStride + t] = s * scale;
                max[g] = Math.max(max[g], s * scale);
            }
        }
    }

    /**
     * {@code acc[(h0+g)*8 + d] += sum_t w[g*wStride + t] * row_t[d]} for the {@code group} heads, over
     * {@code tokens} rows of 8 floats at byte offset {@code off}. Clears
     * {@code w[g*wStride + tokens - tokens % (LANES/8) .. (g+1)*wStride)} on the way (weights the
     * vector blocks must not count). {@code lanes} is scratch of {@code LANES} floats.
     */
    static void weightedSums8(float[] acc, int h0, int group, float[] w, int wStride, int tokens, MemorySegment seg,
            long off, float[] lanes) {
        final int perVector = LANES / 8;
        int whole = tokens - tokens % perVector;
        scalarTail(acc, h0, group, 8, w, wStride, whole, tokens, seg, off);
        for (int g = 0; g < group; g++) {
            int wOff = g * wStride;
            for (int i = wOff + whole; i < wOff + wStride; i++) {
                w[i] = 0f;
            }
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int t0 = 0; t0 < whole; t0 += LANES) {
                long o = off + (long) t0 * 8 * Float.BYTES;
                int rows = whole - t0;
                FloatVector wb = FloatVector.fromArray(F, w, wOff + t0);
                // Rows past the block's whole vectors read the first vector again, at weight 0.
                s0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE).fma(wb.rearrange(W8_0), s0);
                s1 = FloatVector.fromMemorySegment(F, seg, rows > perVector ? o + STEP : o, NATIVE)
                        .fma(wb.rearrange(W8_1), s1);
                s0 = FloatVector.fromMemorySegment(F, seg, rows > 2 * perVector ? o + 2 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W8_2), s0);
                s1 = FloatVector.fromMemorySegment(F, seg, rows > 3 * perVector ? o + 3 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W8_3), s1);
                s0 = FloatVector.fromMemorySegment(F, seg, rows > 4 * perVector ? o + 4 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W8_4), s0);
                s1 = FloatVector.fromMemorySegment(F, seg, rows > 5 * perVector ? o + 5 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W8_5), s1);
                s0 = FloatVector.fromMemorySegment(F, seg, rows > 6 * perVector ? o + 6 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W8_6), s0);
                s1 = FloatVector.fromMemorySegment(F, seg, rows > 7 * perVector ? o + 7 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W8_7), s1);
            }
            FloatVector sum = s0.add(s1);
            if (LANES == 16) {
                // The two rows of the vector added in registers, then into the head's 8 floats.
                FloatVector rows = sum.add(sum.rearrange(PanamaLaneTree.SWAP8));
                int aOff = (h0 + g) * 8;
                FloatVector half = (FloatVector) rows.reinterpretShape(FloatVector.SPECIES_256, 0);
                FloatVector.fromArray(FloatVector.SPECIES_256, acc, aOff).add(half).intoArray(acc, aOff);
            } else {
                sum.intoArray(lanes, 0);
                foldRows(acc, (h0 + g) * 8, 8, lanes);
            }
        }
    }

    /** {@link #weightedSums8} for rows of 4 floats. */
    static void weightedSums4(float[] acc, int h0, int group, float[] w, int wStride, int tokens, MemorySegment seg,
            long off, float[] lanes) {
        final int perVector = LANES / 4;
        int whole = tokens - tokens % perVector;
        scalarTail(acc, h0, group, 4, w, wStride, whole, tokens, seg, off);
        for (int g = 0; g < group; g++) {
            int wOff = g * wStride;
            for (int i = wOff + whole; i < wOff + wStride; i++) {
                w[i] = 0f;
            }
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            for (int t0 = 0; t0 < whole; t0 += LANES) {
                long o = off + (long) t0 * 4 * Float.BYTES;
                int rows = whole - t0;
                FloatVector wb = FloatVector.fromArray(F, w, wOff + t0);
                s0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE).fma(wb.rearrange(W4_0), s0);
                s1 = FloatVector.fromMemorySegment(F, seg, rows > perVector ? o + STEP : o, NATIVE)
                        .fma(wb.rearrange(W4_1), s1);
                s0 = FloatVector.fromMemorySegment(F, seg, rows > 2 * perVector ? o + 2 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W4_2), s0);
                s1 = FloatVector.fromMemorySegment(F, seg, rows > 3 * perVector ? o + 3 * STEP : o, NATIVE)
                        .fma(wb.rearrange(W4_3), s1);
            }
            s0.add(s1).intoArray(lanes, 0);
            foldRows(acc, (h0 + g) * 4, 4, lanes);
        }
    }

    /** Adds the {@code LANES / headDim} row slices of {@code lanes} to {@code acc[aOff .. aOff+headDim)}. */
    private static void foldRows(float[] acc, int aOff, int headDim, float[] lanes) {
        for (int d = 0; d < headDim; d++) {
            float sum = 0f;
            for (int i = d; i < LANES; i += headDim) {
                sum += lanes[i];
            }
            acc[aOff + d] += sum;
        }
    }

    private static void scalarTail(float[] acc, int h0, int group, int headDim, float[] w, int wStride, int from,
            int tokens, MemorySegment seg, long off) {
        for (int t = from; t < tokens; t++) {
            long o = off + (long) t * headDim * Float.BYTES;
            for (int g = 0; g < group; g++) {
                float wt = w[g * wStride + t];
                int aOff = (h0 + g) * headDim;
                for (int d = 0; d < headDim; d++) {
                    acc[aOff + d] += wt * seg.get(UNALIGNED, o + (long) d * Float.BYTES);
                }
            }
        }
    }

    /** Lane {@code i} takes the weight of row {@code j * (LANES/headDim) + i/headDim} of the block. */
    private static VectorShuffle<Float> spread(int headDim, int j) {
        int perVector = Math.max(1, LANES / headDim);
        return VectorShuffle.fromOp(F, i -> Math.min(LANES - 1, j * perVector + i / headDim));
    }
}
