package org.kvplace.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * {@link MatVec} that answers with the scalar implementation until the Vector API one has been
 * compiled, for each weight type on its own: a dot product of a type (F32, whose
 * {@code dotF32Rows} goes with it, F16 or Q8_0) {@link WarmUp#START_DELAY_NANOS} after that type's
 * first starts a trial ({@link WarmUp}) of both
 * implementations of that type on random rows of that call's length, and switches that type once
 * the vector rows are no slower. A model of one weight type thus compiles and times only that
 * type's products: on two cores every method the trial compiles takes the C2 thread, and a core,
 * from the decode that is starting. Each dot product runs wholly on one implementation.
 * Thread-safe.
 */
final class WarmStartMatVec implements MatVec {

    /** Rows per round of a trial. */
    private static final int ROWS = 64;
    /**
     * Rounds before the times count: 12,800 calls of the type's dot product (C2 is due after
     * 5,000), and as many row blocks of {@code dotF32Rows} for F32.
     */
    private static final int MIN_ROUNDS = 200;

    private enum Type { F32, F16, Q8_0 }

    private final MatVec scalar;
    private final MatVec vector;
    private final Trial f32;
    private final Trial f16;
    private final Trial q8;

    private final long delayNanos;

    WarmStartMatVec(MatVec scalar, MatVec vector) {
        this(scalar, vector, WarmUp.START_DELAY_NANOS);
    }

    /** With each trial starting {@code delayNanos} after its type's first product ({@link WarmUp#START_DELAY_NANOS}). */
    WarmStartMatVec(MatVec scalar, MatVec vector, long delayNanos) {
        this.scalar = Objects.requireNonNull(scalar, "scalar");
        this.vector = Objects.requireNonNull(vector, "vector");
        this.delayNanos = delayNanos;
        this.f32 = new Trial(Type.F32);
        this.f16 = new Trial(Type.F16);
        this.q8 = new Trial(Type.Q8_0);
    }

    /** Whether F32 products go to the Vector API implementation now. */
    boolean switched() {
        return f32.active == vector;
    }

    /** Whether F32, F16 and Q8_0 products go to the Vector API implementation now, in that order. */
    boolean[] switchedTypes() {
        return new boolean[] {f32.active == vector, f16.active == vector, q8.active == vector};
    }

    /** Whether the trials of F32, F16 and Q8_0, in that order, have started. */
    boolean[] trialsStarted() {
        return new boolean[] {f32.delay.started(), f16.delay.started(), q8.delay.started()};
    }

    /** The implementation of one weight type, and its trial. */
    private final class Trial {
        private final Type type;
        private final WarmUp.Delay delay = new WarmUp.Delay(delayNanos);
        private volatile MatVec active;

        Trial(Type type) {
            this.type = type;
            this.active = scalar;
        }

        /** The implementation the next product of {@code n} weights goes to, starting the trial when it is due. */
        MatVec ops(int n) {
            MatVec m = active;
            if (m == scalar && delay.start()) {
                int cols = Math.max(32, (n + 31) / 32 * 32); // Q8_0 rows are whole blocks of 32
                WarmUp.start("kvplace-matvec-warm-up-" + type.name().toLowerCase(java.util.Locale.ROOT), MIN_ROUNDS,
                        batch(scalar, type, cols), batch(vector, type, cols), () -> active = vector);
            }
            return m;
        }
    }

    /** One round: {@link #ROWS} rows of {@code cols} weights of {@code type}. */
    private static WarmUp.Batch batch(MatVec ops, Type type, int cols) {
        SplittableRandom rnd = new SplittableRandom(13);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        long rowBytes = switch (type) {
            case F32 -> (long) cols * Float.BYTES;
            case F16 -> (long) cols * Short.BYTES;
            case Q8_0 -> (long) cols / 32 * 34;
        };
        MemorySegment w = Arena.ofAuto().allocate(ROWS * rowBytes, 64);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < ROWS * rowBytes; i += Float.BYTES) {
                    w.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (rnd.nextDouble() * 2 - 1));
                }
            }
            case F16 -> {
                for (long i = 0; i < ROWS * rowBytes; i += Short.BYTES) {
                    w.set(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) (rnd.nextDouble() * 2 - 1)));
                }
            }
            case Q8_0 -> {
                for (long b = 0; b < ROWS * rowBytes; b += 34) {
                    w.set(ValueLayout.JAVA_SHORT_UNALIGNED, b, Float.floatToFloat16(0.01f));
                    for (int i = 0; i < 32; i++) {
                        w.set(ValueLayout.JAVA_BYTE, b + 2 + i, (byte) (rnd.nextInt(256) - 128));
                    }
                }
            }
        }
        float[] out = new float[ROWS];
        return switch (type) {
            case F32 -> () -> {
                ops.dotF32Rows(w, 0, rowBytes, x, cols, out, 0, ROWS);
                float s = out[ROWS - 1];
                for (int r = 0; r < ROWS; r++) {
                    s += ops.dotF32(w, r * rowBytes, x, cols);
                }
                return s;
            };
            case F16 -> () -> {
                float s = 0f;
                for (int r = 0; r < ROWS; r++) {
                    s += ops.dotF16(w, r * rowBytes, x, cols);
                }
                return s;
            };
            case Q8_0 -> () -> {
                float s = 0f;
                for (int r = 0; r < ROWS; r++) {
                    s += ops.dotQ8(w, r * rowBytes, x, cols);
                }
                return s;
            };
        };
    }

    @Override
    public String name() {
        return vector.name();
    }

    @Override
    public float dotF32(MemorySegment w, long offset, float[] x, int n) {
        return f32.ops(n).dotF32(w, offset, x, n);
    }

    @Override
    public void dotF32Rows(MemorySegment w, long offset, long rowBytes, float[] x, int n, float[] out, int from,
            int to) {
        f32.ops(n).dotF32Rows(w, offset, rowBytes, x, n, out, from, to);
    }

    @Override
    public float dotF16(MemorySegment w, long offset, float[] x, int n) {
        return f16.ops(n).dotF16(w, offset, x, n);
    }

    @Override
    public float dotQ8(MemorySegment w, long offset, float[] x, int n) {
        return q8.ops(n).dotQ8(w, offset, x, n);
    }

    @Override
    public float readSum(MemorySegment w, long offset, long bytes) {
        return vector.readSum(w, offset, bytes);
    }

    @Override
    public String toString() {
        boolean[] t = switchedTypes();
        return vector + " (scalar until it is compiled" + (t[0] ? "; F32 switched" : "") + (t[1] ? "; F16 switched" : "")
                + (t[2] ? "; Q8_0 switched" : "") + ")";
    }
}
