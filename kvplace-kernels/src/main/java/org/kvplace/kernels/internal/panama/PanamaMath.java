package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The vector building blocks of page attention over f32 rows in a {@link MemorySegment}: dot
 * product, in-place softmax numerators, weighted row sums. Every method follows one shape: a body
 * over {@code F.loopBound(n)} with independent accumulators, one reduction, a scalar tail.
 */
final class PanamaMath {

    private PanamaMath() {}

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
                acc0 = fma(q, qOff + d, seg, off, d, acc0);
                acc1 = fma(q, qOff + d + LANES, seg, off, d + LANES, acc1);
                acc2 = fma(q, qOff + d + 2 * LANES, seg, off, d + 2 * LANES, acc2);
                acc3 = fma(q, qOff + d + 3 * LANES, seg, off, d + 3 * LANES, acc3);
            }
            for (; d < bound; d += LANES) {
                acc0 = fma(q, qOff + d, seg, off, d, acc0);
            }
            sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        }
        for (; d < n; d++) {
            sum += q[qOff + d] * seg.get(ValueLayout.JAVA_FLOAT, off + (long) d * Float.BYTES);
        }
        return sum;
    }

    private static FloatVector fma(float[] q, int qi, MemorySegment seg, long off, int d, FloatVector acc) {
        FloatVector k = FloatVector.fromMemorySegment(F, seg, off + (long) d * Float.BYTES, ByteOrder.nativeOrder());
        return FloatVector.fromArray(F, q, qi).fma(k, acc);
    }

    /** Largest of {@code s[0..n)}. */
    static float max(float[] s, int n) {
        float m = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (n >= LANES) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int bound = F.loopBound(n);
            for (; i < bound; i += LANES) {
                acc = acc.max(FloatVector.fromArray(F, s, i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, s[i]);
        }
        return m;
    }

    /** Replaces {@code s[i]} by {@code exp(s[i] - m)} for {@code i < n} and returns their sum. */
    static float expInPlace(float[] s, int n, float m) {
        float sum = 0f;
        int i = 0;
        if (n >= LANES) {
            int bound = F.loopBound(n);
            FloatVector acc = FloatVector.zero(F);
            for (; i < bound; i += LANES) {
                FloatVector e = FloatVector.fromArray(F, s, i).sub(m).lanewise(VectorOperators.EXP);
                e.intoArray(s, i);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(s[i] - m);
            s[i] = e;
            sum += e;
        }
        return sum;
    }

    /** {@code acc[aOff+d] *= c} for {@code d < n}. */
    static void scale(float[] acc, int aOff, int n, float c) {
        int d = 0;
        int bound = F.loopBound(n);
        for (; d < bound; d += LANES) {
            FloatVector.fromArray(F, acc, aOff + d).mul(c).intoArray(acc, aOff + d);
        }
        for (; d < n; d++) {
            acc[aOff + d] *= c;
        }
    }

    /**
     * {@code acc[aOff+d] += sum_t w[t] * row_t[d]} over {@code tokens} f32 rows of {@code n} elements,
     * {@code rowBytes} apart from byte offset {@code off}. Chunk-outer, token-inner: each chunk of the
     * accumulator stays in a register across the page's tokens.
     */
    static void weightedSum(float[] acc, int aOff, float[] w, int tokens, MemorySegment seg, long off, long rowBytes,
            int n) {
        int d = 0;
        int bound = F.loopBound(n);
        for (; d < bound; d += LANES) {
            FloatVector a = FloatVector.fromArray(F, acc, aOff + d);
            long o = off + (long) d * Float.BYTES;
            for (int t = 0; t < tokens; t++) {
                FloatVector v = FloatVector.fromMemorySegment(F, seg, o + t * rowBytes, ByteOrder.nativeOrder());
                a = v.fma(FloatVector.broadcast(F, w[t]), a);
            }
            a.intoArray(acc, aOff + d);
        }
        for (; d < n; d++) {
            float a = acc[aOff + d];
            long o = off + (long) d * Float.BYTES;
            for (int t = 0; t < tokens; t++) {
                a += w[t] * seg.get(ValueLayout.JAVA_FLOAT, o + t * rowBytes);
            }
            acc[aOff + d] = a;
        }
    }
}
