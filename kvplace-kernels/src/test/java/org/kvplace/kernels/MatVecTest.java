package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MatVecTest {

    private static boolean vectorModule() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    @Test
    void shouldUseTheVectorApiWhenTheModuleIsPresent() {
        // Each surefire execution states whether it adds jdk.incubator.vector; a misconfigured run fails here.
        String expected = System.getProperty(ActiveKernelTest.EXPECTED);
        if ("panama".equals(expected)) {
            assertEquals("panama", MatVec.get().name());
        }
        assertEquals(vectorModule() ? "panama" : "scalar", MatVec.get().name());
    }

    @Test
    void shouldRejectUnknownChoice() {
        assertThrows(IllegalArgumentException.class, () -> MatVecs.load("simd"));
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 96, 160, 1024})
    void shouldMatchTheScalarQ8DotProduct(int n) {
        assumeTrue(vectorModule(), "the Vector API matvec runs in the executions that add jdk.incubator.vector");
        MatVec panama = MatVecs.load("panama");
        MatVec scalar = MatVecs.load("scalar");
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(34L * (n / 32) + 3, 64);
            long off = 3; // Q8_0 blocks are 34 bytes: rows are never aligned
            double exact = 0;
            double magnitude = 0;
            for (int b = 0; b < n / 32; b++) {
                float scale = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.1)));
                w.set(ScalarMatVec.F16, off + 34L * b, Float.floatToFloat16(scale));
                for (int i = 0; i < 32; i++) {
                    byte q = (byte) rnd.nextInt(-128, 128);
                    x[b * 32 + i] = (float) rnd.nextGaussian();
                    w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 34L * b + 2 + i, q);
                    double p = (double) scale * q * x[b * 32 + i];
                    exact += p;
                    magnitude += Math.abs(p);
                }
            }
            float tol = (float) (1e-6 * magnitude * Math.sqrt(n) + 1e-6);
            assertEquals(exact, scalar.dotQ8(w, off, x, n), tol, "scalar n=" + n);
            assertEquals(exact, panama.dotQ8(w, off, x, n), tol, "panama n=" + n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 6, 8, 13, 16, 25, 31, 32, 33, 64, 65, 100, 172, 1000, 4098})
    void shouldMatchTheScalarDotProductAtUnalignedOffsets(int n) {
        assumeTrue(vectorModule(), "the Vector API matvec runs in the executions that add jdk.incubator.vector");
        MatVec panama = MatVecs.load("panama");
        MatVec scalar = MatVecs.load("scalar");
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = new float[n];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(4L * n + 4, 64);
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian();
                w.set(ScalarMatVec.F32, 4 + 4L * i, (float) rnd.nextGaussian());
            }
            double exact = 0;
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                double p = (double) w.get(ScalarMatVec.F32, 4 + 4L * i) * x[i];
                exact += p;
                magnitude += Math.abs(p);
            }
            float tol = (float) (1e-6 * magnitude * Math.sqrt(n) + 1e-6);
            assertEquals(exact, scalar.dotF32(w, 4, x, n), tol, "scalar n=" + n);
            assertEquals(exact, panama.dotF32(w, 4, x, n), tol, "panama n=" + n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 17, 31, 64, 100, 172, 1000})
    void shouldMatchTheScalarRowsAndNotDependOnTheRowRange(int n) {
        assumeTrue(vectorModule(), "the Vector API matvec runs in the executions that add jdk.incubator.vector");
        MatVec panama = MatVecs.load("panama");
        MatVec scalar = MatVecs.load("scalar");
        int rows = 11; // not a multiple of the four rows done at once
        long rowBytes = 4L * n + 8; // rows apart by more than their length, at an unaligned offset
        SplittableRandom rnd = new SplittableRandom(n);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(4 + rows * rowBytes, 64);
            for (long o = 4; o + 4 <= w.byteSize(); o += 4) {
                w.set(ScalarMatVec.F32, o, (float) rnd.nextGaussian());
            }
            float[] whole = new float[rows];
            panama.dotF32Rows(w, 4, rowBytes, x, n, whole, 0, rows);
            for (int r = 0; r < rows; r++) {
                double exact = 0;
                double magnitude = 0;
                for (int i = 0; i < n; i++) {
                    double p = (double) w.get(ScalarMatVec.F32, 4 + r * rowBytes + 4L * i) * x[i];
                    exact += p;
                    magnitude += Math.abs(p);
                }
                float tol = (float) (1e-6 * magnitude * Math.sqrt(n) + 1e-6);
                assertEquals(exact, whole[r], tol, "panama row " + r + " n=" + n);
                assertEquals(exact, scalar.dotF32(w, 4 + r * rowBytes, x, n), tol, "scalar row " + r + " n=" + n);
            }
            // Every split into two ranges gives the same bits as the whole product.
            for (int split = 0; split <= rows; split++) {
                float[] parts = new float[rows];
                panama.dotF32Rows(w, 4, rowBytes, x, n, parts, 0, split);
                panama.dotF32Rows(w, 4, rowBytes, x, n, parts, split, rows);
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(whole[r]), Float.floatToRawIntBits(parts[r]),
                            "row " + r + " split at " + split + " n=" + n);
                }
            }
        }
    }
}
