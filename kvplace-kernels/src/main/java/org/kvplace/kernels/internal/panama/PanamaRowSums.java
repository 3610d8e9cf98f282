package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Probability-weighted sums of f32 value rows in a {@link MemorySegment}, for one, two or four
 * query heads, register-blocked so that every row is read front to back (prefetch-friendly when the
 * rows come from DRAM).
 */
final class PanamaRowSums {

    // No helper here takes or returns a vector: C2 sometimes declines to inline even a tiny method
    // ("callee uses too much stack" inside a large compiled method), and a vector that crosses a
    // call that was not inlined is boxed on the heap, on every call.
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long STEP = (long) LANES * Float.BYTES;

    private PanamaRowSums() {}

    /**
     * {@code acc[aOff+d] += sum_t w[t] * row_t[d]} over {@code tokens} f32 rows of {@code n} elements,
     * {@code rowBytes} apart from byte offset {@code off}. Token-outer over blocks of eight (then
     * four) vectors, so that each row is read front to back (prefetch-friendly, the rows come from
     * DRAM) while the block's accumulators stay in registers; then single vectors, then scalars.
     */
    static void weightedSum(float[] acc, int aOff, float[] w, int wOff, int tokens, MemorySegment seg, long off,
            long rowBytes, int n) {
        int d = 0;
        for (; d + 8 * LANES <= n; d += 8 * LANES) {
            weightedSum8(acc, aOff + d, w, wOff, tokens, seg, off + (long) d * Float.BYTES, rowBytes);
        }
        for (; d + 4 * LANES <= n; d += 4 * LANES) {
            weightedSum4(acc, aOff + d, w, wOff, tokens, seg, off + (long) d * Float.BYTES, rowBytes);
        }
        for (; d + LANES <= n; d += LANES) {
            FloatVector a = FloatVector.fromArray(F, acc, aOff + d);
            long o = off + (long) d * Float.BYTES;
            for (int t = 0; t < tokens; t++) {
                a = FloatVector.fromMemorySegment(F, seg, o + t * rowBytes, NATIVE)
                        .fma(FloatVector.broadcast(F, w[wOff + t]), a);
            }
            a.intoArray(acc, aOff + d);
        }
        for (; d < n; d++) {
            float a = acc[aOff + d];
            long o = off + (long) d * Float.BYTES;
            for (int t = 0; t < tokens; t++) {
                a += w[wOff + t] * seg.get(ValueLayout.JAVA_FLOAT, o + t * rowBytes);
            }
            acc[aOff + d] = a;
        }
    }

    private static void weightedSum8(float[] acc, int i, float[] w, int wOff, int tokens, MemorySegment seg, long off,
            long rowBytes) {
        long step = (long) LANES * Float.BYTES;
        FloatVector a0 = FloatVector.fromArray(F, acc, i);
        FloatVector a1 = FloatVector.fromArray(F, acc, i + LANES);
        FloatVector a2 = FloatVector.fromArray(F, acc, i + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(F, acc, i + 3 * LANES);
        FloatVector a4 = FloatVector.fromArray(F, acc, i + 4 * LANES);
        FloatVector a5 = FloatVector.fromArray(F, acc, i + 5 * LANES);
        FloatVector a6 = FloatVector.fromArray(F, acc, i + 6 * LANES);
        FloatVector a7 = FloatVector.fromArray(F, acc, i + 7 * LANES);
        for (int t = 0; t < tokens; t++) {
            long o = off + t * rowBytes;
            FloatVector wt = FloatVector.broadcast(F, w[wOff + t]);
            a0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE).fma(wt, a0);
            a1 = FloatVector.fromMemorySegment(F, seg, o + step, NATIVE).fma(wt, a1);
            a2 = FloatVector.fromMemorySegment(F, seg, o + 2 * step, NATIVE).fma(wt, a2);
            a3 = FloatVector.fromMemorySegment(F, seg, o + 3 * step, NATIVE).fma(wt, a3);
            a4 = FloatVector.fromMemorySegment(F, seg, o + 4 * step, NATIVE).fma(wt, a4);
            a5 = FloatVector.fromMemorySegment(F, seg, o + 5 * step, NATIVE).fma(wt, a5);
            a6 = FloatVector.fromMemorySegment(F, seg, o + 6 * step, NATIVE).fma(wt, a6);
            a7 = FloatVector.fromMemorySegment(F, seg, o + 7 * step, NATIVE).fma(wt, a7);
        }
        a0.intoArray(acc, i);
        a1.intoArray(acc, i + LANES);
        a2.intoArray(acc, i + 2 * LANES);
        a3.intoArray(acc, i + 3 * LANES);
        a4.intoArray(acc, i + 4 * LANES);
        a5.intoArray(acc, i + 5 * LANES);
        a6.intoArray(acc, i + 6 * LANES);
        a7.intoArray(acc, i + 7 * LANES);
    }

    private static void weightedSum4(float[] acc, int i, float[] w, int wOff, int tokens, MemorySegment seg, long off,
            long rowBytes) {
        long step = (long) LANES * Float.BYTES;
        FloatVector a0 = FloatVector.fromArray(F, acc, i);
        FloatVector a1 = FloatVector.fromArray(F, acc, i + LANES);
        FloatVector a2 = FloatVector.fromArray(F, acc, i + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(F, acc, i + 3 * LANES);
        for (int t = 0; t < tokens; t++) {
            long o = off + t * rowBytes;
            FloatVector wt = FloatVector.broadcast(F, w[wOff + t]);
            a0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE).fma(wt, a0);
            a1 = FloatVector.fromMemorySegment(F, seg, o + step, NATIVE).fma(wt, a1);
            a2 = FloatVector.fromMemorySegment(F, seg, o + 2 * step, NATIVE).fma(wt, a2);
            a3 = FloatVector.fromMemorySegment(F, seg, o + 3 * step, NATIVE).fma(wt, a3);
        }
        a0.intoArray(acc, i);
        a1.intoArray(acc, i + LANES);
        a2.intoArray(acc, i + 2 * LANES);
        a3.intoArray(acc, i + 3 * LANES);
    }

    /**
     * {@code acc[aOff0 + d] += sum_t w[wOff0 + t] * row_t[d]} and the same for a second head, for rows
     * of exactly {@code 8 * LANES} elements: sixteen accumulators stay in registers and every row is
     * read front to back in full, which suits the hardware prefetcher when the rows come from DRAM.
     */
    static void weightedSum2x8(float[] acc, int aOff0, int aOff1, float[] w, int wOff0, int wOff1, int tokens,
            MemorySegment seg, long off, long rowBytes) {
        long step = (long) LANES * Float.BYTES;
        FloatVector a0 = FloatVector.fromArray(F, acc, aOff0);
        FloatVector a1 = FloatVector.fromArray(F, acc, aOff0 + LANES);
        FloatVector a2 = FloatVector.fromArray(F, acc, aOff0 + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(F, acc, aOff0 + 3 * LANES);
        FloatVector a4 = FloatVector.fromArray(F, acc, aOff0 + 4 * LANES);
        FloatVector a5 = FloatVector.fromArray(F, acc, aOff0 + 5 * LANES);
        FloatVector a6 = FloatVector.fromArray(F, acc, aOff0 + 6 * LANES);
        FloatVector a7 = FloatVector.fromArray(F, acc, aOff0 + 7 * LANES);
        FloatVector b0 = FloatVector.fromArray(F, acc, aOff1);
        FloatVector b1 = FloatVector.fromArray(F, acc, aOff1 + LANES);
        FloatVector b2 = FloatVector.fromArray(F, acc, aOff1 + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(F, acc, aOff1 + 3 * LANES);
        FloatVector b4 = FloatVector.fromArray(F, acc, aOff1 + 4 * LANES);
        FloatVector b5 = FloatVector.fromArray(F, acc, aOff1 + 5 * LANES);
        FloatVector b6 = FloatVector.fromArray(F, acc, aOff1 + 6 * LANES);
        FloatVector b7 = FloatVector.fromArray(F, acc, aOff1 + 7 * LANES);
        for (int t = 0; t < tokens; t++) {
            long o = off + t * rowBytes;
            FloatVector wa = FloatVector.broadcast(F, w[wOff0 + t]);
            FloatVector wb = FloatVector.broadcast(F, w[wOff1 + t]);
            FloatVector v = FloatVector.fromMemorySegment(F, seg, o, NATIVE);
            a0 = v.fma(wa, a0);
            b0 = v.fma(wb, b0);
            v = FloatVector.fromMemorySegment(F, seg, o + step, NATIVE);
            a1 = v.fma(wa, a1);
            b1 = v.fma(wb, b1);
            v = FloatVector.fromMemorySegment(F, seg, o + 2 * step, NATIVE);
            a2 = v.fma(wa, a2);
            b2 = v.fma(wb, b2);
            v = FloatVector.fromMemorySegment(F, seg, o + 3 * step, NATIVE);
            a3 = v.fma(wa, a3);
            b3 = v.fma(wb, b3);
            v = FloatVector.fromMemorySegment(F, seg, o + 4 * step, NATIVE);
            a4 = v.fma(wa, a4);
            b4 = v.fma(wb, b4);
            v = FloatVector.fromMemorySegment(F, seg, o + 5 * step, NATIVE);
            a5 = v.fma(wa, a5);
            b5 = v.fma(wb, b5);
            v = FloatVector.fromMemorySegment(F, seg, o + 6 * step, NATIVE);
            a6 = v.fma(wa, a6);
            b6 = v.fma(wb, b6);
            v = FloatVector.fromMemorySegment(F, seg, o + 7 * step, NATIVE);
            a7 = v.fma(wa, a7);
            b7 = v.fma(wb, b7);
        }
        a0.intoArray(acc, aOff0);
        a1.intoArray(acc, aOff0 + LANES);
        a2.intoArray(acc, aOff0 + 2 * LANES);
        a3.intoArray(acc, aOff0 + 3 * LANES);
        a4.intoArray(acc, aOff0 + 4 * LANES);
        a5.intoArray(acc, aOff0 + 5 * LANES);
        a6.intoArray(acc, aOff0 + 6 * LANES);
        a7.intoArray(acc, aOff0 + 7 * LANES);
        b0.intoArray(acc, aOff1);
        b1.intoArray(acc, aOff1 + LANES);
        b2.intoArray(acc, aOff1 + 2 * LANES);
        b3.intoArray(acc, aOff1 + 3 * LANES);
        b4.intoArray(acc, aOff1 + 4 * LANES);
        b5.intoArray(acc, aOff1 + 5 * LANES);
        b6.intoArray(acc, aOff1 + 6 * LANES);
        b7.intoArray(acc, aOff1 + 7 * LANES);
    }

    /**
     * {@code acc[aOff + g*n + d] += sum_t w[wOff + g*wStride + t*tStride] * row_t[d]} for four heads
     * {@code g}: each value chunk is loaded once for the four heads; blocks of four chunks keep sixteen
     * accumulators in registers across the tokens. {@code tStride} is 1 for weights stored head by
     * head, the group size for weights stored token by token ({@link PanamaGroupTree}).
     */
    static void weightedSum4Heads(float[] acc, int aOff, int n, float[] w, int wOff, int wStride, int tStride,
            int tokens, MemorySegment seg, long off, long rowBytes) {
        int d = 0;
        for (; d + 4 * LANES <= n; d += 4 * LANES) {
            weightedSum4x4(acc, aOff + d, n, w, wOff, wStride, tStride, tokens, seg, off + (long) d * Float.BYTES,
                    rowBytes);
        }
        for (int g = 0; g < 4 && d < n; g++) {
            weightedSumFrom(acc, aOff + g * n, d, w, wOff + g * wStride, tStride, tokens, seg, off, rowBytes, n);
        }
    }

    private static void weightedSum4x4(float[] acc, int i, int n, float[] w, int wOff, int wStride, int tStride,
            int tokens, MemorySegment seg, long off, long rowBytes) {
        long step = (long) LANES * Float.BYTES;
        FloatVector a00 = FloatVector.fromArray(F, acc, i);
        FloatVector a01 = FloatVector.fromArray(F, acc, i + LANES);
        FloatVector a02 = FloatVector.fromArray(F, acc, i + 2 * LANES);
        FloatVector a03 = FloatVector.fromArray(F, acc, i + 3 * LANES);
        FloatVector a10 = FloatVector.fromArray(F, acc, i + n);
        FloatVector a11 = FloatVector.fromArray(F, acc, i + n + LANES);
        FloatVector a12 = FloatVector.fromArray(F, acc, i + n + 2 * LANES);
        FloatVector a13 = FloatVector.fromArray(F, acc, i + n + 3 * LANES);
        FloatVector a20 = FloatVector.fromArray(F, acc, i + 2 * n);
        FloatVector a21 = FloatVector.fromArray(F, acc, i + 2 * n + LANES);
        FloatVector a22 = FloatVector.fromArray(F, acc, i + 2 * n + 2 * LANES);
        FloatVector a23 = FloatVector.fromArray(F, acc, i + 2 * n + 3 * LANES);
        FloatVector a30 = FloatVector.fromArray(F, acc, i + 3 * n);
        FloatVector a31 = FloatVector.fromArray(F, acc, i + 3 * n + LANES);
        FloatVector a32 = FloatVector.fromArray(F, acc, i + 3 * n + 2 * LANES);
        FloatVector a33 = FloatVector.fromArray(F, acc, i + 3 * n + 3 * LANES);
        for (int t = 0; t < tokens; t++) {
            long o = off + t * rowBytes;
            FloatVector v0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, seg, o + step, NATIVE);
            FloatVector v2 = FloatVector.fromMemorySegment(F, seg, o + 2 * step, NATIVE);
            FloatVector v3 = FloatVector.fromMemorySegment(F, seg, o + 3 * step, NATIVE);
            int wt = wOff + t * tStride;
            FloatVector w0 = FloatVector.broadcast(F, w[wt]);
            FloatVector w1 = FloatVector.broadcast(F, w[wt + wStride]);
            FloatVector w2 = FloatVector.broadcast(F, w[wt + 2 * wStride]);
            FloatVector w3 = FloatVector.broadcast(F, w[wt + 3 * wStride]);
            a00 = v0.fma(w0, a00);
            a01 = v1.fma(w0, a01);
            a02 = v2.fma(w0, a02);
            a03 = v3.fma(w0, a03);
            a10 = v0.fma(w1, a10);
            a11 = v1.fma(w1, a11);
            a12 = v2.fma(w1, a12);
            a13 = v3.fma(w1, a13);
            a20 = v0.fma(w2, a20);
            a21 = v1.fma(w2, a21);
            a22 = v2.fma(w2, a22);
            a23 = v3.fma(w2, a23);
            a30 = v0.fma(w3, a30);
            a31 = v1.fma(w3, a31);
            a32 = v2.fma(w3, a32);
            a33 = v3.fma(w3, a33);
        }
        a00.intoArray(acc, i);
        a01.intoArray(acc, i + LANES);
        a02.intoArray(acc, i + 2 * LANES);
        a03.intoArray(acc, i + 3 * LANES);
        a10.intoArray(acc, i + n);
        a11.intoArray(acc, i + n + LANES);
        a12.intoArray(acc, i + n + 2 * LANES);
        a13.intoArray(acc, i + n + 3 * LANES);
        a20.intoArray(acc, i + 2 * n);
        a21.intoArray(acc, i + 2 * n + LANES);
        a22.intoArray(acc, i + 2 * n + 2 * LANES);
        a23.intoArray(acc, i + 2 * n + 3 * LANES);
        a30.intoArray(acc, i + 3 * n);
        a31.intoArray(acc, i + 3 * n + LANES);
        a32.intoArray(acc, i + 3 * n + 2 * LANES);
        a33.intoArray(acc, i + 3 * n + 3 * LANES);
    }

    /** The single-vector and scalar tail of {@link #weightedSum} from element {@code from} on. */
    private static void weightedSumFrom(float[] acc, int aOff, int from, float[] w, int wOff, int tStride,
            int tokens, MemorySegment seg, long off, long rowBytes, int n) {
        int d = from;
        for (; d + LANES <= n; d += LANES) {
            FloatVector a = FloatVector.fromArray(F, acc, aOff + d);
            long o = off + (long) d * Float.BYTES;
            for (int t = 0; t < tokens; t++) {
                a = FloatVector.fromMemorySegment(F, seg, o + t * rowBytes, NATIVE)
                        .fma(FloatVector.broadcast(F, w[wOff + t * tStride]), a);
            }
            a.intoArray(acc, aOff + d);
        }
        for (; d < n; d++) {
            float a = acc[aOff + d];
            long o = off + (long) d * Float.BYTES;
            for (int t = 0; t < tokens; t++) {
                a += w[wOff + t * tStride] * seg.get(ValueLayout.JAVA_FLOAT, o + t * rowBytes);
            }
            acc[aOff + d] = a;
        }
    }
}
