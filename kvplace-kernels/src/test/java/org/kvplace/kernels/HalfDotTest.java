package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The vectorised f16 dot product against exact sums, and its half conversion against every bit pattern. */
class HalfDotTest {

    private static MatVec panama() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "the Vector API matvec runs in the executions that add jdk.incubator.vector");
        return MatVecs.load("panama");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 6, 8, 13, 16, 25, 31, 32, 33, 47, 64, 65, 100, 172, 1000, 2048, 4098})
    void shouldMatchTheExactDotProductAtUnalignedOffsets(int n) {
        MatVec panama = panama();
        MatVec scalar = MatVecs.load("scalar");
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = new float[n];
        for (long off : new long[] {0, 2, 3}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment w = arena.allocate(2L * n + 4, 64);
                double exact = 0;
                double magnitude = 0;
                for (int i = 0; i < n; i++) {
                    x[i] = (float) rnd.nextGaussian();
                    short h = Float.floatToFloat16((float) rnd.nextGaussian());
                    w.set(ScalarMatVec.F16, off + 2L * i, h);
                    double p = (double) Float.float16ToFloat(h) * x[i];
                    exact += p;
                    magnitude += Math.abs(p);
                }
                float tol = (float) (1e-6 * magnitude * Math.sqrt(n) + 1e-6);
                assertEquals(exact, scalar.dotF16(w, off, x, n), tol, "scalar n=" + n + " offset " + off);
                assertEquals(exact, panama.dotF16(w, off, x, n), tol, "panama n=" + n + " offset " + off);
            }
        }
    }

    @Test
    void shouldConvertEveryHalfExactlyAsFloat16ToFloat() {
        MatVec panama = panama();
        int n = 64; // two full iterations of the widest species' two-accumulator loop
        float[] x = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * n, 64);
            for (int bits = 0; bits < 1 << 16; bits++) {
                int at = bits % n;
                w.fill((byte) 0);
                w.set(ScalarMatVec.F16, 2L * at, (short) bits);
                java.util.Arrays.fill(x, 0f);
                x[at] = 1f;
                float expected = Float.float16ToFloat((short) bits) * 1f + 0f; // the sum starts at +0
                float got = panama.dotF16(w, 0, x, n);
                if (Float.isNaN(expected)) {
                    assertTrue(Float.isNaN(got), "half 0x" + Integer.toHexString(bits) + " gave " + got);
                } else {
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got),
                            "half 0x" + Integer.toHexString(bits) + ": expected " + expected + ", got " + got);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 96, 256, 288, 2048})
    void shouldStayInsideASegmentThatEndsWithTheRow(int n) {
        // The f16 loop reads ahead of its rows; a row that ends where its segment (here a slice of
        // a larger one) ends must neither fail nor change its sum.
        MatVec panama = panama();
        MatVec scalar = MatVecs.load("scalar");
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment whole = arena.allocate(2L * n + 4096, 64);
            MemorySegment w = whole.asSlice(64, 2L * n);
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian();
                short h = Float.floatToFloat16((float) rnd.nextGaussian());
                w.set(ScalarMatVec.F16, 2L * i, h);
                magnitude += Math.abs((double) Float.float16ToFloat(h) * x[i]);
            }
            float tol = (float) (1e-6 * magnitude * Math.sqrt(n) + 1e-6);
            assertEquals(scalar.dotF16(w, 0, x, n), panama.dotF16(w, 0, x, n), tol, "n=" + n);
        }
    }

    @Test
    void shouldReadTheSameSumAsThePlainLoop() {
        MatVec panama = panama();
        try (Arena arena = Arena.ofConfined()) {
            int n = 10_007;
            MemorySegment w = arena.allocate(4L * n, 64);
            double exact = 0;
            for (int i = 0; i < n; i++) {
                float f = (i % 7) - 3;
                w.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, f);
                exact += f;
            }
            assertEquals(exact, panama.readSum(w, 0, 4L * n), 1e-3);
            assertEquals(exact, MatVecs.load("scalar").readSum(w, 0, 4L * n), 1e-3);
            assertEquals(exact - (0 % 7 - 3), panama.readSum(w, 4, 4L * (n - 1)), 1e-3);
        }
    }
}
