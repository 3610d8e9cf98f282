package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The softmax steps between a page's scores and its values: the largest score, the in-place
 * numerators {@code exp(s - m)} and their sum (an arithmetic-only vector {@code exp}), and the
 * rescaling of an accumulator when the running maximum grows.
 */
final class PanamaSoftmax {

    // No helper here takes or returns a vector: C2 sometimes declines to inline even a tiny method
    // ("callee uses too much stack" inside a large compiled method), and a vector that crosses a
    // call that was not inlined is boxed on the heap, on every call.

    private PanamaSoftmax() {}

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
}
