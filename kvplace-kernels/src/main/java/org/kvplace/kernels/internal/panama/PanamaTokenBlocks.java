package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Scores of one query head against key rows of a multiple of the vector length, a block of
 * {@code LANES} tokens at a time: each token's dot product is kept as a vector of partial sums
 * (one independent FMA chain per token, sixteen or eight in flight), and the block's vectors are
 * summed per token by the transposing tree of {@link PanamaLaneTree} into one vector of
 * {@code LANES} scores, stored at once. Against one horizontal reduction per token this saves
 * most of the shuffles when one or two query heads share a KV head; from four heads on, the heads
 * share the key loads ({@link PanamaGroupTree}, or {@link PanamaDots#dot4} where that does not
 * apply).
 *
 * <p>In a block that runs past the page's last token, the missing rows repeat the last one, so
 * that every load stays inside the rows written; their lanes are stored past {@code tokens}.
 */
final class PanamaTokenBlocks {

    // No helper here takes or returns a vector (see PanamaDots).
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private PanamaTokenBlocks() {}

    /** Whether rows of {@code headDim} floats take this class's path at this vector width. */
    static boolean supports(int headDim) {
        return (LANES == 16 || LANES == 8) && headDim >= LANES && headDim % LANES == 0;
    }

    /**
     * {@code w[wOff + t] = scale * q[qOff ..] . row_t} for {@code tokens} rows of {@code n}
     * floats, {@code rowBytes} apart from byte offset {@code off}; writes up to {@code tokens}
     * rounded up to {@code LANES} entries of {@code w}.
     */
    static void scores(float[] q, int qOff, int n, MemorySegment seg, long off, long rowBytes, int tokens, float[] w,
            int wOff, float scale) {
        assert supports(n);
        if (LANES == 16) {
            scores512(q, qOff, n, seg, off, rowBytes, tokens, w, wOff, scale);
        } else {
            scores256(q, qOff, n, seg, off, rowBytes, tokens, w, wOff, scale);
        }
    }

    /** Sixteen tokens per block: pairs of tokens folded on lane bit 3 first, then the tree of eight. */
    private static void scores512(float[] q, int qOff, int n, MemorySegment seg, long off, long rowBytes,
            int tokens, float[] w, int wOff, float scale) {
        for (int t0 = 0; t0 < tokens; t0 += 16) {
            long o = off + t0 * rowBytes;
            int last = Math.min(15, tokens - 1 - t0);
            long o0 = o + Math.min(0, last) * rowBytes;
            long o1 = o + Math.min(1, last) * rowBytes;
            long o2 = o + Math.min(2, last) * rowBytes;
            long o3 = o + Math.min(3, last) * rowBytes;
            long o4 = o + Math.min(4, last) * rowBytes;
            long o5 = o + Math.min(5, last) * rowBytes;
            long o6 = o + Math.min(6, last) * rowBytes;
            long o7 = o + Math.min(7, last) * rowBytes;
            long o8 = o + Math.min(8, last) * rowBytes;
            long o9 = o + Math.min(9, last) * rowBytes;
            long o10 = o + Math.min(10, last) * rowBytes;
            long o11 = o + Math.min(11, last) * rowBytes;
            long o12 = o + Math.min(12, last) * rowBytes;
            long o13 = o + Math.min(13, last) * rowBytes;
            long o14 = o + Math.min(14, last) * rowBytes;
            long o15 = o + Math.min(15, last) * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector a4 = FloatVector.zero(F);
            FloatVector a5 = FloatVector.zero(F);
            FloatVector a6 = FloatVector.zero(F);
            FloatVector a7 = FloatVector.zero(F);
            FloatVector a8 = FloatVector.zero(F);
            FloatVector a9 = FloatVector.zero(F);
            FloatVector a10 = FloatVector.zero(F);
            FloatVector a11 = FloatVector.zero(F);
            FloatVector a12 = FloatVector.zero(F);
            FloatVector a13 = FloatVector.zero(F);
            FloatVector a14 = FloatVector.zero(F);
            FloatVector a15 = FloatVector.zero(F);
            for (int d = 0; d < n; d += 16) {
                FloatVector qv = FloatVector.fromArray(F, q, qOff + d);
                long e = (long) d * Float.BYTES;
                a0 = FloatVector.fromMemorySegment(F, seg, o0 + e, NATIVE).fma(qv, a0);
                a1 = FloatVector.fromMemorySegment(F, seg, o1 + e, NATIVE).fma(qv, a1);
                a2 = FloatVector.fromMemorySegment(F, seg, o2 + e, NATIVE).fma(qv, a2);
                a3 = FloatVector.fromMemorySegment(F, seg, o3 + e, NATIVE).fma(qv, a3);
                a4 = FloatVector.fromMemorySegment(F, seg, o4 + e, NATIVE).fma(qv, a4);
                a5 = FloatVector.fromMemorySegment(F, seg, o5 + e, NATIVE).fma(qv, a5);
                a6 = FloatVector.fromMemorySegment(F, seg, o6 + e, NATIVE).fma(qv, a6);
                a7 = FloatVector.fromMemorySegment(F, seg, o7 + e, NATIVE).fma(qv, a7);
                a8 = FloatVector.fromMemorySegment(F, seg, o8 + e, NATIVE).fma(qv, a8);
                a9 = FloatVector.fromMemorySegment(F, seg, o9 + e, NATIVE).fma(qv, a9);
                a10 = FloatVector.fromMemorySegment(F, seg, o10 + e, NATIVE).fma(qv, a10);
                a11 = FloatVector.fromMemorySegment(F, seg, o11 + e, NATIVE).fma(qv, a11);
                a12 = FloatVector.fromMemorySegment(F, seg, o12 + e, NATIVE).fma(qv, a12);
                a13 = FloatVector.fromMemorySegment(F, seg, o13 + e, NATIVE).fma(qv, a13);
                a14 = FloatVector.fromMemorySegment(F, seg, o14 + e, NATIVE).fma(qv, a14);
                a15 = FloatVector.fromMemorySegment(F, seg, o15 + e, NATIVE).fma(qv, a15);
            }
            FloatVector p0 = a0.blend(a1, PanamaLaneTree.BIT3)
                    .add(a1.blend(a0, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector p1 = a2.blend(a3, PanamaLaneTree.BIT3)
                    .add(a3.blend(a2, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector p2 = a4.blend(a5, PanamaLaneTree.BIT3)
                    .add(a5.blend(a4, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector p3 = a6.blend(a7, PanamaLaneTree.BIT3)
                    .add(a7.blend(a6, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector p4 = a8.blend(a9, PanamaLaneTree.BIT3)
                    .add(a9.blend(a8, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector p5 = a10.blend(a11, PanamaLaneTree.BIT3)
                    .add(a11.blend(a10, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector p6 = a12.blend(a13, PanamaLaneTree.BIT3)
                    .add(a13.blend(a12, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector p7 = a14.blend(a15, PanamaLaneTree.BIT3)
                    .add(a15.blend(a14, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8));
            FloatVector b0 = p0.blend(p1, PanamaLaneTree.BIT0)
                    .add(p1.blend(p0, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b1 = p2.blend(p3, PanamaLaneTree.BIT0)
                    .add(p3.blend(p2, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b2 = p4.blend(p5, PanamaLaneTree.BIT0)
                    .add(p5.blend(p4, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b3 = p6.blend(p7, PanamaLaneTree.BIT0)
                    .add(p7.blend(p6, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector c0 = b0.blend(b1, PanamaLaneTree.BIT1)
                    .add(b1.blend(b0, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c1 = b2.blend(b3, PanamaLaneTree.BIT1)
                    .add(b3.blend(b2, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector s = c0.blend(c1, PanamaLaneTree.BIT2)
                    .add(c1.blend(c0, PanamaLaneTree.BIT2).rearrange(PanamaLaneTree.SWAP4));
            s.rearrange(PanamaLaneTree.ORDER8).mul(scale).intoArray(w, wOff + t0);
        }
    }

    /** Eight tokens per block, the tree of eight; its lanes come out in token order. */
    private static void scores256(float[] q, int qOff, int n, MemorySegment seg, long off, long rowBytes,
            int tokens, float[] w, int wOff, float scale) {
        for (int t0 = 0; t0 < tokens; t0 += 8) {
            long o = off + t0 * rowBytes;
            int last = Math.min(7, tokens - 1 - t0);
            long o0 = o + Math.min(0, last) * rowBytes;
            long o1 = o + Math.min(1, last) * rowBytes;
            long o2 = o + Math.min(2, last) * rowBytes;
            long o3 = o + Math.min(3, last) * rowBytes;
            long o4 = o + Math.min(4, last) * rowBytes;
            long o5 = o + Math.min(5, last) * rowBytes;
            long o6 = o + Math.min(6, last) * rowBytes;
            long o7 = o + Math.min(7, last) * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector a4 = FloatVector.zero(F);
            FloatVector a5 = FloatVector.zero(F);
            FloatVector a6 = FloatVector.zero(F);
            FloatVector a7 = FloatVector.zero(F);
            for (int d = 0; d < n; d += 8) {
                FloatVector qv = FloatVector.fromArray(F, q, qOff + d);
                long e = (long) d * Float.BYTES;
                a0 = FloatVector.fromMemorySegment(F, seg, o0 + e, NATIVE).fma(qv, a0);
                a1 = FloatVector.fromMemorySegment(F, seg, o1 + e, NATIVE).fma(qv, a1);
                a2 = FloatVector.fromMemorySegment(F, seg, o2 + e, NATIVE).fma(qv, a2);
                a3 = FloatVector.fromMemorySegment(F, seg, o3 + e, NATIVE).fma(qv, a3);
                a4 = FloatVector.fromMemorySegment(F, seg, o4 + e, NATIVE).fma(qv, a4);
                a5 = FloatVector.fromMemorySegment(F, seg, o5 + e, NATIVE).fma(qv, a5);
                a6 = FloatVector.fromMemorySegment(F, seg, o6 + e, NATIVE).fma(qv, a6);
                a7 = FloatVector.fromMemorySegment(F, seg, o7 + e, NATIVE).fma(qv, a7);
            }
            FloatVector b0 = a0.blend(a1, PanamaLaneTree.BIT0)
                    .add(a1.blend(a0, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b1 = a2.blend(a3, PanamaLaneTree.BIT0)
                    .add(a3.blend(a2, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b2 = a4.blend(a5, PanamaLaneTree.BIT0)
                    .add(a5.blend(a4, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b3 = a6.blend(a7, PanamaLaneTree.BIT0)
                    .add(a7.blend(a6, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector c0 = b0.blend(b1, PanamaLaneTree.BIT1)
                    .add(b1.blend(b0, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c1 = b2.blend(b3, PanamaLaneTree.BIT1)
                    .add(b3.blend(b2, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector s = c0.blend(c1, PanamaLaneTree.BIT2)
                    .add(c1.blend(c0, PanamaLaneTree.BIT2).rearrange(PanamaLaneTree.SWAP4));
            s.mul(scale).intoArray(w, wOff + t0);
        }
    }
}
