package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Query-key scores over f32 rows in a {@link MemorySegment}: one head's dot product, and the
 * register-blocked scores of two or four query heads per key row. Each method follows one shape: a
 * body over {@code F.loopBound(n)} with independent accumulators, one reduction, a scalar tail.
 */
final class PanamaDots {

    // No helper here takes or returns a vector: C2 sometimes declines to inline even a tiny method
    // ("callee uses too much stack" inside a large compiled method), and a vector that crosses a
    // call that was not inlined is boxed on the heap, on every call.
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long STEP = (long) LANES * Float.BYTES;

    private PanamaDots() {}

    /** {@code sum_d q[qOff+d] * row[d]} for the f32 row at byte offset {@code off} of {@code seg}. */
    static float dot(float[] q, int qOff, MemorySegment seg, long off, int n) {
        int d = 0;
        float sum = 0f;
        if (n >= LANES) {
            int bound = F.loopBound(n);
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            FloatVector acc2 = FloatVector.zero(F);
            FloatVector acc3 = FloatVector.zero(F);
            // Four independent accumulators hide the FMA latency.
            int unrolled = n - n % (4 * LANES);
            for (; d < unrolled; d += 4 * LANES) {
                long o = off + (long) d * Float.BYTES;
                acc0 = FloatVector.fromArray(F, q, qOff + d)
                        .fma(FloatVector.fromMemorySegment(F, seg, o, NATIVE), acc0);
                acc1 = FloatVector.fromArray(F, q, qOff + d + LANES)
                        .fma(FloatVector.fromMemorySegment(F, seg, o + STEP, NATIVE), acc1);
                acc2 = FloatVector.fromArray(F, q, qOff + d + 2 * LANES)
                        .fma(FloatVector.fromMemorySegment(F, seg, o + 2 * STEP, NATIVE), acc2);
                acc3 = FloatVector.fromArray(F, q, qOff + d + 3 * LANES)
                        .fma(FloatVector.fromMemorySegment(F, seg, o + 3 * STEP, NATIVE), acc3);
            }
            for (; d < bound; d += LANES) {
                acc0 = FloatVector.fromArray(F, q, qOff + d)
                        .fma(FloatVector.fromMemorySegment(F, seg, off + (long) d * Float.BYTES, NATIVE), acc0);
            }
            sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        }
        for (; d < n; d++) {
            sum += q[qOff + d] * seg.get(ValueLayout.JAVA_FLOAT, off + (long) d * Float.BYTES);
        }
        return sum;
    }

    /**
     * Scores of two query heads against {@code tokens} f32 rows of exactly {@code 8 * LANES} elements
     * (128 dims at 512 bits): both queries stay in sixteen registers for the whole page, so each
     * token costs eight key loads and sixteen FMAs (two chains per head). Writes
     * {@code w[wOff0 + t]} and {@code w[wOff1 + t]}.
     */
    static void dot2x8(float[] q, int qOff0, int qOff1, MemorySegment seg, long off, long rowBytes, int tokens,
            float[] w, int wOff0, int wOff1, float scale) {
        FloatVector p0 = FloatVector.fromArray(F, q, qOff0);
        FloatVector p1 = FloatVector.fromArray(F, q, qOff0 + LANES);
        FloatVector p2 = FloatVector.fromArray(F, q, qOff0 + 2 * LANES);
        FloatVector p3 = FloatVector.fromArray(F, q, qOff0 + 3 * LANES);
        FloatVector p4 = FloatVector.fromArray(F, q, qOff0 + 4 * LANES);
        FloatVector p5 = FloatVector.fromArray(F, q, qOff0 + 5 * LANES);
        FloatVector p6 = FloatVector.fromArray(F, q, qOff0 + 6 * LANES);
        FloatVector p7 = FloatVector.fromArray(F, q, qOff0 + 7 * LANES);
        FloatVector r0 = FloatVector.fromArray(F, q, qOff1);
        FloatVector r1 = FloatVector.fromArray(F, q, qOff1 + LANES);
        FloatVector r2 = FloatVector.fromArray(F, q, qOff1 + 2 * LANES);
        FloatVector r3 = FloatVector.fromArray(F, q, qOff1 + 3 * LANES);
        FloatVector r4 = FloatVector.fromArray(F, q, qOff1 + 4 * LANES);
        FloatVector r5 = FloatVector.fromArray(F, q, qOff1 + 5 * LANES);
        FloatVector r6 = FloatVector.fromArray(F, q, qOff1 + 6 * LANES);
        FloatVector r7 = FloatVector.fromArray(F, q, qOff1 + 7 * LANES);
        long step = (long) LANES * Float.BYTES;
        for (int t = 0; t < tokens; t++) {
            long o = off + t * rowBytes;
            FloatVector k0 = FloatVector.fromMemorySegment(F, seg, o, NATIVE);
            FloatVector k1 = FloatVector.fromMemorySegment(F, seg, o + step, NATIVE);
            FloatVector a = p0.mul(k0);
            FloatVector b = p1.mul(k1);
            FloatVector c = r0.mul(k0);
            FloatVector d = r1.mul(k1);
            FloatVector k2 = FloatVector.fromMemorySegment(F, seg, o + 2 * step, NATIVE);
            FloatVector k3 = FloatVector.fromMemorySegment(F, seg, o + 3 * step, NATIVE);
            a = p2.fma(k2, a);
            b = p3.fma(k3, b);
            c = r2.fma(k2, c);
            d = r3.fma(k3, d);
            FloatVector k4 = FloatVector.fromMemorySegment(F, seg, o + 4 * step, NATIVE);
            FloatVector k5 = FloatVector.fromMemorySegment(F, seg, o + 5 * step, NATIVE);
            a = p4.fma(k4, a);
            b = p5.fma(k5, b);
            c = r4.fma(k4, c);
            d = r5.fma(k5, d);
            FloatVector k6 = FloatVector.fromMemorySegment(F, seg, o + 6 * step, NATIVE);
            FloatVector k7 = FloatVector.fromMemorySegment(F, seg, o + 7 * step, NATIVE);
            a = p6.fma(k6, a);
            b = p7.fma(k7, b);
            c = r6.fma(k6, c);
            d = r7.fma(k7, d);
            w[wOff0 + t] = a.add(b).reduceLanes(VectorOperators.ADD) * scale;
            w[wOff1 + t] = c.add(d).reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    /**
     * Scores of four query heads (at {@code qOff}, {@code qOff+n}, ...) against {@code tokens} f32
     * rows: each key chunk is loaded once for the four heads, whose accumulators are independent.
     * Writes {@code w[wOff + g*wStride + t] = scale * q_g . row_t}.
     */
    static void dot4(float[] q, int qOff, int n, MemorySegment seg, long off, long rowBytes, int tokens, float[] w,
            int wOff, int wStride, float scale) {
        int bound = F.loopBound(n);
        for (int t = 0; t < tokens; t++) {
            long o = off + t * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            int d = 0;
            for (; d < bound; d += LANES) {
                FloatVector k = FloatVector.fromMemorySegment(F, seg, o + (long) d * Float.BYTES, NATIVE);
                a0 = FloatVector.fromArray(F, q, qOff + d).fma(k, a0);
                a1 = FloatVector.fromArray(F, q, qOff + n + d).fma(k, a1);
                a2 = FloatVector.fromArray(F, q, qOff + 2 * n + d).fma(k, a2);
                a3 = FloatVector.fromArray(F, q, qOff + 3 * n + d).fma(k, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; d < n; d++) {
                float k = seg.get(ValueLayout.JAVA_FLOAT, o + (long) d * Float.BYTES);
                s0 += q[qOff + d] * k;
                s1 += q[qOff + n + d] * k;
                s2 += q[qOff + 2 * n + d] * k;
                s3 += q[qOff + 3 * n + d] * k;
            }
            w[wOff + t] = s0 * scale;
            w[wOff + wStride + t] = s1 * scale;
            w[wOff + 2 * wStride + t] = s2 * scale;
            w[wOff + 3 * wStride + t] = s3 * scale;
        }
    }
}
