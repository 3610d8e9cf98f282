package org.kvplace.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@link MatVec} that answers with the scalar implementation until the Vector API one has been
 * compiled: the first call starts a trial ({@link WarmUp}) of both on random rows of that call's
 * length, in all three weight types, and switches once the vector rows are no slower. Each dot
 * product runs wholly on one implementation. Thread-safe.
 */
final class WarmStartMatVec implements MatVec {

    /** Rows per type and round of the trial. */
    private static final int ROWS = 64;
    /** Rounds before the times count: 12,800 calls of each dot product (C2 is due after 5,000). */
    private static final int MIN_ROUNDS = 200;

    private final MatVec scalar;
    private final MatVec vector;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile MatVec active;

    WarmStartMatVec(MatVec scalar, MatVec vector) {
        this.scalar = Objects.requireNonNull(scalar, "scalar");
        this.vector = Objects.requireNonNull(vector, "vector");
        this.active = scalar;
    }

    /** Whether calls go to the Vector API implementation now. */
    boolean switched() {
        return active == vector;
    }

    private MatVec ops(int n) {
        MatVec m = active;
        if (m == scalar && !started.get() && started.compareAndSet(false, true)) {
            int cols = Math.max(32, (n + 31) / 32 * 32); // Q8_0 rows are whole blocks of 32
            WarmUp.start("kvplace-matvec-warm-up", MIN_ROUNDS, batch(scalar, cols), batch(vector, cols), () -> active = vector);
        }
        return m;
    }

    /** One round: {@link #ROWS} rows of {@code cols} weights in F32, F16 and Q8_0. */
    private static WarmUp.Batch batch(MatVec ops, int cols) {
        SplittableRandom rnd = new SplittableRandom(13);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        long f32Row = (long) cols * Float.BYTES;
        long f16Row = (long) cols * Short.BYTES;
        long q8Row = (long) cols / 32 * 34;
        MemorySegment w = Arena.ofAuto().allocate(ROWS * (f32Row + f16Row + q8Row), 64);
        for (long i = 0; i < ROWS * f32Row; i += Float.BYTES) {
            w.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (rnd.nextDouble() * 2 - 1));
        }
        long f16 = ROWS * f32Row;
        for (long i = 0; i < ROWS * f16Row; i += Short.BYTES) {
            w.set(ValueLayout.JAVA_SHORT_UNALIGNED, f16 + i, Float.floatToFloat16((float) (rnd.nextDouble() * 2 - 1)));
        }
        long q8 = f16 + ROWS * f16Row;
        for (long b = 0; b < ROWS * q8Row; b += 34) {
            w.set(ValueLayout.JAVA_SHORT_UNALIGNED, q8 + b, Float.floatToFloat16(0.01f));
            for (int i = 0; i < 32; i++) {
                w.set(ValueLayout.JAVA_BYTE, q8 + b + 2 + i, (byte) (rnd.nextInt(256) - 128));
            }
        }
        float[] out = new float[ROWS];
        return () -> {
            ops.dotF32Rows(w, 0, f32Row, x, cols, out, 0, ROWS);
            float s = out[ROWS - 1];
            for (int r = 0; r < ROWS; r++) {
                s += ops.dotF32(w, r * f32Row, x, cols);
                s += ops.dotF16(w, f16 + r * f16Row, x, cols);
                s += ops.dotQ8(w, q8 + r * q8Row, x, cols);
            }
            return s;
        };
    }

    @Override
    public String name() {
        return vector.name();
    }

    @Override
    public float dotF32(MemorySegment w, long offset, float[] x, int n) {
        return ops(n).dotF32(w, offset, x, n);
    }

    @Override
    public void dotF32Rows(MemorySegment w, long offset, long rowBytes, float[] x, int n, float[] out, int from,
            int to) {
        ops(n).dotF32Rows(w, offset, rowBytes, x, n, out, from, to);
    }

    @Override
    public float dotF16(MemorySegment w, long offset, float[] x, int n) {
        return ops(n).dotF16(w, offset, x, n);
    }

    @Override
    public float dotQ8(MemorySegment w, long offset, float[] x, int n) {
        return ops(n).dotQ8(w, offset, x, n);
    }

    @Override
    public float readSum(MemorySegment w, long offset, long bytes) {
        return vector.readSum(w, offset, bytes);
    }

    @Override
    public String toString() {
        return vector + " (scalar until it is compiled" + (switched() ? "; switched" : "") + ")";
    }
}
