package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.testkit.kernel.TestLayer;

class WarmStartTest {

    private static final float TOLERANCE = 1e-5f;

    /**
     * Spends {@code nanos} of this thread's CPU time: the trial compares CPU times, so a spin timed
     * by the wall clock would take less CPU than asked whenever the machine descheduled the thread.
     */
    private static void spin(long nanos) {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!threads.isCurrentThreadCpuTimeSupported()) {
            long end = System.nanoTime() + nanos;
            while (System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            return;
        }
        long end = threads.getCurrentThreadCpuTime() + nanos;
        while (threads.getCurrentThreadCpuTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    @Test
    void shouldSwitchOnlyAfterTheMinimumRoundsAndThenConsecutiveWins() {
        AtomicInteger switched = new AtomicInteger();
        int rounds = WarmUp.run(10, () -> {
            spin(200_000);
            return 1f;
        }, () -> 2f, switched::incrementAndGet);
        assertEquals(10 + WarmUp.ROUNDS_AHEAD - 1, rounds, "rounds before the switch");
        assertEquals(1, switched.get());
    }

    @Test
    void shouldNotSwitchWhileTheVectorBatchIsSlower() {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger switched = new AtomicInteger();
        // slower for 30 rounds, then faster: the wins must be consecutive and after round 30
        int rounds = WarmUp.run(5, () -> {
            spin(100_000);
            return 1f;
        }, () -> {
            if (calls.incrementAndGet() <= 30) {
                spin(400_000);
            }
            return 2f;
        }, switched::incrementAndGet);
        assertEquals(30 + WarmUp.ROUNDS_AHEAD, rounds);
        assertEquals(1, switched.get());
    }

    @Test
    void shouldSwitchOverWhenABatchFails() {
        AtomicInteger switched = new AtomicInteger();
        WarmUp.run(5, () -> 1f, () -> {
            throw new IllegalStateException("refused");
        }, switched::incrementAndGet);
        assertEquals(1, switched.get());
    }

    @Test
    void shouldAnswerWithOneOfTheTwoKernelsAndSwitchToTheVectorOne() throws InterruptedException {
        DecodeKernel vector = VectorKernelProvider.provider();
        assumeTrue(vector != Kernels.scalar(), "the Vector API kernel runs in the executions that add its module");
        WarmStartKernel k = new WarmStartKernel(Kernels.scalar(), vector);
        PageLayout layout = new PageLayout(16, 2, 8, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 40, 3, 0, TestLayer.Fill.UNIFORM, 0.5)) {
            float[] q = TestLayer.query(4, 8, 5, 1f);
            int[] pages = {0, 1, 2};
            float[] expectScalar = new float[q.length];
            float[] expectVector = new float[q.length];
            Kernels.scalar().attend(layer, q, expectScalar, pages, 3);
            vector.attend(layer, q, expectVector, pages, 3);
            float[] out = new float[q.length];
            assertFalse(k.switched(), "scalar until the trial has run");
            k.attend(layer, q, out, pages, 3); // starts the trial
            long deadline = System.nanoTime() + (WarmUp.DEADLINE_SECONDS + 10) * 1_000_000_000L;
            while (!k.switched() && System.nanoTime() - deadline < 0) {
                k.attend(layer, q, out, pages, 3);
                assertArrayEquals(expectScalar, out, TOLERANCE, "within the equivalence tolerance");
                Thread.sleep(5);
            }
            assertTrue(k.switched(), "switched within the deadline");
            k.attend(layer, q, out, pages, 3);
            // The Vector API's result may differ in the last bit between its interpreted and compiled code
            // (the order of a lane reduction), so the cold reference is compared within a tolerance.
            assertArrayEquals(expectVector, out, TOLERANCE, "the vector kernel's result after the switch");
            assertEquals(vector.name(), k.name());
        }
    }

    @Test
    void shouldBeTheChosenKernelItselfWithoutTheVectorApi() {
        if (Kernels.lookup() == Kernels.scalar()) {
            assertSame(Kernels.scalar(), VectorKernelProvider.warmStart());
        } else {
            assertEquals(Kernels.lookup().name(), VectorKernelProvider.warmStart().name());
        }
        if (MatVec.get() == MatVec.scalar()) {
            assertSame(MatVec.scalar(), MatVec.warmStart());
        } else {
            assertEquals(MatVec.get().name(), MatVec.warmStart().name());
        }
    }

    @Test
    void shouldSwitchTheMatVecToTheVectorRows() throws InterruptedException {
        MatVec vector = MatVec.get();
        assumeTrue(!vector.name().equals("scalar"), "the Vector API matvec runs in the executions that add its module");
        WarmStartMatVec m = new WarmStartMatVec(MatVec.scalar(), vector);
        try (Arena arena = Arena.ofConfined()) {
            int n = 64;
            MemorySegment w = arena.allocate((long) n * Float.BYTES, 64);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                w.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7 - 3) * 0.37f);
                x[i] = (i % 5 - 2) * 0.91f;
            }
            float s = MatVec.scalar().dotF32(w, 0, x, n);
            float v = vector.dotF32(w, 0, x, n);
            assertEquals(s, m.dotF32(w, 0, x, n), "scalar before the trial has run");
            long deadline = System.nanoTime() + (WarmUp.DEADLINE_SECONDS + 10) * 1_000_000_000L;
            while (!m.switched() && System.nanoTime() - deadline < 0) {
                assertEquals(s, m.dotF32(w, 0, x, n), TOLERANCE, "within the equivalence tolerance");
                Thread.sleep(5);
            }
            assertTrue(m.switched(), "switched within the deadline");
            assertEquals(v, m.dotF32(w, 0, x, n), TOLERANCE);
        }
    }

    @Test
    void shouldTrialOnlyTheWeightTypesInUse() throws InterruptedException {
        MatVec vector = MatVec.get();
        assumeTrue(!vector.name().equals("scalar"), "the Vector API matvec runs in the executions that add its module");
        WarmStartMatVec m = new WarmStartMatVec(MatVec.scalar(), vector, 0);
        try (Arena arena = Arena.ofConfined()) {
            int n = 64; // two Q8_0 blocks of 34 bytes
            MemorySegment w = arena.allocate(2 * 34, 64);
            float[] x = new float[n];
            for (int b = 0; b < 2; b++) {
                w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 34L * b, Float.floatToFloat16(0.5f + b));
                for (int i = 0; i < 32; i++) {
                    w.set(ValueLayout.JAVA_BYTE, 34L * b + 2 + i, (byte) (i * 7 - 100));
                }
            }
            for (int i = 0; i < n; i++) {
                x[i] = (i % 5 - 2) * 0.91f;
            }
            float s = MatVec.scalar().dotQ8(w, 0, x, n);
            assertArrayEquals(new boolean[] {false, false, false}, m.trialsStarted());
            assertEquals(s, m.dotQ8(w, 0, x, n), "scalar before the trial has run");
            assertArrayEquals(new boolean[] {false, false, true}, m.trialsStarted(), "only the Q8_0 trial started");
            long deadline = System.nanoTime() + (WarmUp.DEADLINE_SECONDS + 10) * 1_000_000_000L;
            while (!m.switchedTypes()[2] && System.nanoTime() - deadline < 0) {
                assertEquals(s, m.dotQ8(w, 0, x, n), TOLERANCE, "within the equivalence tolerance");
                Thread.sleep(5);
            }
            assertArrayEquals(new boolean[] {false, false, true}, m.switchedTypes(), "Q8_0 switched, F32 and F16 not");
            assertArrayEquals(new boolean[] {false, false, true}, m.trialsStarted(), "no other trial started");
            assertEquals(vector.dotQ8(w, 0, x, n), m.dotQ8(w, 0, x, n), TOLERANCE);
        }
    }

    @Test
    void shouldStartTheTrialOnlyAfterTheDelay() throws InterruptedException {
        WarmUp.Delay never = new WarmUp.Delay(Long.MAX_VALUE);
        assertFalse(never.armed());
        assertFalse(never.due(), "the first call arms it");
        assertTrue(never.armed());
        assertFalse(never.due());
        WarmUp.Delay none = new WarmUp.Delay(0);
        assertTrue(none.due(), "no delay: due at the first call");
        WarmUp.Delay short_ = new WarmUp.Delay(50_000_000L);
        assertFalse(short_.due());
        Thread.sleep(80);
        assertTrue(short_.due(), "due once the delay has passed since the first call");

        DecodeKernel vector = VectorKernelProvider.provider();
        assumeTrue(vector != Kernels.scalar(), "the Vector API kernel runs in the executions that add its module");
        WarmStartKernel k = new WarmStartKernel(Kernels.scalar(), vector, 200_000_000L);
        PageLayout layout = new PageLayout(16, 2, 8, ElementType.F32);
        try (TestLayer layer = new TestLayer(layout, 40, 3, 0, TestLayer.Fill.UNIFORM, 0.5)) {
            float[] q = TestLayer.query(4, 8, 5, 1f);
            int[] pages = {0, 1, 2};
            float[] out = new float[q.length];
            k.attend(layer, q, out, pages, 3);
            assertFalse(k.trialStarted(), "not at the first call");
            Thread.sleep(250);
            k.attend(layer, q, out, pages, 3);
            assertTrue(k.trialStarted(), "at the first call after the delay");
            // The trial runs on until it switches: wait, so that no trial thread outlives the test
            // (one running beside later tests compiles the kernels with its own layer type and
            // shapes, and a test of steady-state allocation can then meet code that allocates).
            long deadline = System.nanoTime() + (WarmUp.DEADLINE_SECONDS + 10) * 1_000_000_000L;
            while (!k.switched() && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            assertTrue(k.switched(), "switched within the deadline");
        }
    }
}
