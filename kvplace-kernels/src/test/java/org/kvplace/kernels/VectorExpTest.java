package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The kernel's own vector {@code exp} (softmax numerators), against {@link StrictMath#exp} in
 * double: within 2 ulp of the correctly rounded float over the whole normal range, exact at 0, and
 * 0 below the normal range and for negative infinity (Vector API runs only).
 */
class VectorExpTest {

    /** {@code PanamaSoftmax.expInPlace(s, off, n, m)}: replaces {@code s[off..off+n)} by exp(s - m), returns the sum. */
    private static float expInPlace(float[] s, int off, int n, float m) throws ReflectiveOperationException {
        Method method = Class.forName("org.kvplace.kernels.internal.panama.PanamaSoftmax")
                .getDeclaredMethod("expInPlace", float[].class, int.class, int.class, float.class);
        method.setAccessible(true);
        return (float) method.invoke(null, s, off, n, m);
    }

    @Test
    void shouldBeWithinTwoUlpOfExpOverTheNormalRange() throws Exception {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API; ActiveKernelTest "
                + "asserts that this run expects the scalar kernel");
        int n = 1 << 16;
        float[] x = new float[n + 3]; // + 3: the scalar tail runs too, and must agree as well
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-87.3, 88.3);
        }
        // Exactly representable edge points: 0, ln 2 multiples, the ends, tiny values, halfway points.
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f, 0.69314718f, -0.69314718f, 1f, -1f,
            -87.3f, 88.3f, -50.5f, 10.25f};
        System.arraycopy(special, 0, x, 0, special.length);
        float[] e = x.clone();
        expInPlace(e, 0, e.length, 0f);
        for (int i = 0; i < x.length; i++) {
            double want = StrictMath.exp(x[i]);
            float ulp = Math.ulp((float) want);
            assertTrue(Math.abs(e[i] - want) <= 2 * ulp, "exp(" + x[i] + ") = " + e[i] + ", want " + want);
        }
        assertEquals(1f, e[0], "exp(0)");
        assertEquals(1f, e[1], "exp(-0)");
    }

    @Test
    void shouldReturnTheSumOfTheNumeratorsOfScoresMinusTheirMaximum() throws Exception {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API");
        SplittableRandom rnd = new SplittableRandom(4);
        for (int n : new int[] {1, 7, 16, 17, 64, 1000}) {
            float[] s = new float[n + 5];
            for (int i = 0; i < s.length; i++) {
                s[i] = (float) rnd.nextDouble(-30, 10);
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 5; i < s.length; i++) {
                max = Math.max(max, s[i]);
            }
            float[] before = s.clone();
            float sum = expInPlace(s, 5, n, max);
            double want = 0;
            for (int i = 5; i < s.length; i++) {
                want += StrictMath.exp(before[i] - max);
            }
            assertEquals(want, sum, want * 1e-6, "n " + n);
            for (int i = 0; i < 5; i++) {
                assertEquals(before[i], s[i], "element " + i + " before the range is untouched");
            }
        }
    }

    @Test
    void shouldGiveZeroBelowTheNormalRangeAndForNegativeInfinity() throws Exception {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API");
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 4 == 0 ? Float.NEGATIVE_INFINITY : -88f - i * 10f;
        }
        expInPlace(x, 0, 64, 0f);
        for (int i = 0; i < x.length; i++) {
            assertTrue(x[i] >= 0f && x[i] < Float.MIN_NORMAL, "element " + i + " = " + x[i]);
        }
        float[] y = new float[64];
        java.util.Arrays.fill(y, Float.NEGATIVE_INFINITY);
        expInPlace(y, 0, 64, 0f);
        for (int i = 0; i < y.length; i++) {
            assertEquals(0f, y[i], "exp(-inf) at " + i);
        }
    }
}
