package org.kvplace.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The merge exponential of {@link AttentionState} against {@link StrictMath#exp} in double precision. */
class ExpNonPositiveTest {

    private static long ulps(float a, float b) {
        return Math.abs((long) Float.floatToRawIntBits(a) - Float.floatToRawIntBits(b));
    }

    @Test
    void withinTwoUlpOfTheExactExponential() {
        long worst = 0;
        float worstAt = 0;
        // Every float in [-87.3, 0] with a step of about 1e-4, plus the edges.
        for (float x = 0f; x >= -87.33f; x -= 0.0001f + Math.abs(x) * 1e-6f) {
            float exact = (float) StrictMath.exp(x);
            long u = ulps(AttentionState.expNonPositive(x), exact);
            if (u > worst) {
                worst = u;
                worstAt = x;
            }
        }
        assertTrue(worst <= 2, "worst " + worst + " ulp at x=" + worstAt);
    }

    @Test
    void edgesAreExact() {
        assertEquals(1f, AttentionState.expNonPositive(0f));
        assertEquals(1f, AttentionState.expNonPositive(-0f));
        assertEquals(0f, AttentionState.expNonPositive(Float.NEGATIVE_INFINITY));
        assertEquals(0f, AttentionState.expNonPositive(-100f));
        assertEquals((float) StrictMath.exp(-1), AttentionState.expNonPositive(-1f), Math.ulp((float) StrictMath.exp(-1)) * 2);
    }
}
