package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The pool's products against {@link Matrix#matvec} on stories260K's matrices. */
class MatVecPoolTest extends Stories260KTest {

    private static float[] input(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Test
    void shouldMatchTheSingleThreadProductsOfOneTwoAndThreeMatricesRepeatedly() {
        Matrix q = model.wq[0];
        Matrix k = model.wk[1];
        Matrix out = model.output; // 512 rows
        try (MatVecPool pool = new MatVecPool(3, 5, 0)) {
            for (int rep = 0; rep < 2000; rep++) {
                float[] x = input(q.cols(), rep);
                float[] expectQ = new float[q.rows()];
                float[] expectK = new float[k.rows()];
                float[] expectO = new float[out.rows()];
                q.matvec(x, expectQ);
                k.matvec(x, expectK);
                out.matvec(x, expectO);
                float[] gotQ = new float[q.rows()];
                float[] gotK = new float[k.rows()];
                float[] gotO = new float[out.rows()];
                switch (rep % 3) {
                    case 0 -> pool.matvec(out, x, gotO);
                    case 1 -> pool.matvec(q, gotQ, out, gotO, x);
                    default -> pool.matvec(q, gotQ, k, gotK, out, gotO, x);
                }
                assertArrayEquals(expectO, gotO, "output rows, repetition " + rep);
                if (rep % 3 >= 1) {
                    assertArrayEquals(expectQ, gotQ, "q rows, repetition " + rep);
                }
                if (rep % 3 == 2) {
                    assertArrayEquals(expectK, gotK, "k rows, repetition " + rep);
                }
            }
        }
    }

    @Test
    void shouldWakeParkedWorkers() throws InterruptedException {
        Matrix m = model.output;
        try (MatVecPool pool = new MatVecPool(2, 8, 0)) {
            for (int rep = 0; rep < 5; rep++) {
                Thread.sleep(20); // far beyond the spin: the worker parks
                float[] x = input(m.cols(), rep);
                float[] expect = new float[m.rows()];
                float[] got = new float[m.rows()];
                m.matvec(x, expect);
                pool.matvec(m, x, got);
                assertArrayEquals(expect, got);
            }
        }
    }

    @Test
    void shouldStopItsWorkersOnCloseAndRefuseWorkAfterwards() throws InterruptedException {
        MatVecPool pool = new MatVecPool(3);
        assertEquals(3, pool.threads());
        pool.close();
        pool.close(); // idempotent
        for (int i = 0; i < 100 && workersAlive(); i++) {
            Thread.sleep(10);
        }
        assertFalse(workersAlive(), "matvec workers still running after close");
        Matrix m = model.output;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> pool.matvec(m, new float[m.cols()], new float[m.rows()]));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void shouldRejectBadSizesNamingTheMatrix() {
        Matrix m = model.output;
        try (MatVecPool pool = new MatVecPool(2, 4, 0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pool.matvec(m, new float[m.cols() - 1], new float[m.rows()]));
            assertTrue(e.getMessage().startsWith(m.name() + ": x length " + (m.cols() - 1)), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new MatVecPool(0));
        assertThrows(IllegalArgumentException.class, () -> new MatVecPool(2, 0, 0));
    }

    private static boolean workersAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith("kvplace-matvec-") && t.isAlive());
    }
}
