package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The vector building blocks of page attention over f32 rows in a {@link MemorySegment}: dot
 * product, in-place softmax numerators, weighted row sums. Every method follows one shape: a body
 * over {@code F.loopBound(n)} with independent accumulators, one reduction, a scalar tail.
 */
final class PanamaMath {

    // No helper here takes or returns a vector: C2 sometimes declines to inline even a tiny method
    // ("callee uses too much stack" inside a large compiled method), and a vector that crosses a
    // call that was not inlined is boxed on the heap, on every call.
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long STEP = (long) LANES * Float.BYTES;

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
     * Largest of {@code s[off .. off+n)}, a page's scores (at most a few dozen). A scalar loop on
     * purpose: a vector version of this method ({@code max} lanewise, then {@code reduceLanes(MAX)})
     * was seen compiled by C2, now and then, without the Vector API intrinsics, so that it boxed its
     * vectors on every call (a JFR allocation profile of the failing allocation test showed nothing
     * else); for so few elements the scalar loop costs about the same.
     */
    static float max(float[] s, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, s[off + i]);
        }
        return m;
    }

    private static final float LOG2_E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f; // ln 2 split so that n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float EXP_MIN = -87.33654f; // below this exp(x) is under Float.MIN_NORMAL
    private static final float EXP_MAX = 88.37626f;

    /**
     * Replaces {@code s[off+i]} by {@code exp(s[off+i] - m)} for {@code i < n} and returns their sum.
     *
     * <p>The vector {@code exp} is written out with arithmetic only, so that C2 always compiles it to
     * straight-line vector code (the Vector API's {@code VectorOperators.EXP} calls a math library).
     * It is within 2 ulp of {@link Math#exp} for normal results and gives {@code 0} below {@code -87.3}
     * (where the true value is subnormal or less): {@code x = n ln2 + r} with {@code n} an integer
     * found by the add-1.5*2^23 rounding trick and {@code |r| <= ln2/2}; {@code e^r} is its Taylor
     * polynomial of degree 7 (truncation error under 6e-9 there) in Horner form; {@code 2^n} is
     * built in the exponent bits.
     */
    static float expInPlace(float[] s, int off, int n, float m) {
        float sum = 0f;
        int i = 0;
        if (n >= LANES) {
            int bound = F.loopBound(n);
            FloatVector acc = FloatVector.zero(F);
            for (; i < bound; i += LANES) {
                FloatVector x = FloatVector.fromArray(F, s, off + i).sub(m);
                FloatVector clamped = x.max(EXP_MIN).min(EXP_MAX);
                FloatVector t = clamped.fma(LOG2_E, ROUND); // ROUND + round(x log2 e)
                FloatVector k = t.sub(ROUND);
                FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), clamped);
                r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
                FloatVector p = r.fma(1f / 5040, 1f / 720);
                p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
                p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
                p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
                p = p.fma(r, FloatVector.broadcast(F, 0.5f));
                p = p.fma(r, FloatVector.broadcast(F, 1f));
                p = p.fma(r, FloatVector.broadcast(F, 1f));
                IntVector exponent = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
                FloatVector e = p.mul(exponent.reinterpretAsFloats()).blend(0f, x.lt(EXP_MIN));
                e.intoArray(s, off + i);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(s[off + i] - m);
            s[off + i] = e;
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
     * Writes {@code w[wOff + g*tokens + t] = scale * q_g . row_t}.
     */
    static void dot4(float[] q, int qOff, int n, MemorySegment seg, long off, long rowBytes, int tokens, float[] w,
            int wOff, float scale) {
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
            w[wOff + tokens + t] = s1 * scale;
            w[wOff + 2 * tokens + t] = s2 * scale;
            w[wOff + 3 * tokens + t] = s3 * scale;
        }
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
     * {@code acc[aOff + g*n + d] += sum_t w[wOff + g*tokens + t] * row_t[d]} for four heads {@code g}:
     * each value chunk is loaded once for the four heads; blocks of four chunks keep sixteen
     * accumulators in registers across the tokens.
     */
    static void weightedSum4Heads(float[] acc, int aOff, int n, float[] w, int wOff, int tokens, MemorySegment seg,
            long off, long rowBytes) {
        int d = 0;
        for (; d + 4 * LANES <= n; d += 4 * LANES) {
            weightedSum4x4(acc, aOff + d, n, w, wOff, tokens, seg, off + (long) d * Float.BYTES, rowBytes);
        }
        for (int g = 0; g < 4 && d < n; g++) {
            weightedSumFrom(acc, aOff + g * n, d, w, wOff + g * tokens, tokens, seg, off, rowBytes, n);
        }
    }

    private static void weightedSum4x4(float[] acc, int i, int n, float[] w, int wOff, int tokens, MemorySegment seg,
            long off, long rowBytes) {
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
            FloatVector w0 = FloatVector.broadcast(F, w[wOff + t]);
            FloatVector w1 = FloatVector.broadcast(F, w[wOff + tokens + t]);
            FloatVector w2 = FloatVector.broadcast(F, w[wOff + 2 * tokens + t]);
            FloatVector w3 = FloatVector.broadcast(F, w[wOff + 3 * tokens + t]);
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
    private static void weightedSumFrom(float[] acc, int aOff, int from, float[] w, int wOff, int tokens,
            MemorySegment seg, long off, long rowBytes, int n) {
        int d = from;
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
}
