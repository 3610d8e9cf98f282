package org.kvplace.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Dot products of one weight row (in a mapped GGUF segment) with a float vector: the inner loop of
 * every matrix-vector product of the forward pass.
 *
 * <p>{@link #get()} returns the Vector API implementation when the {@code jdk.incubator.vector}
 * module is present (run with {@code --add-modules jdk.incubator.vector}), else the scalar one,
 * which is also the test oracle. The system property {@code kvplace.matvec} forces
 * {@code scalar} or {@code panama}; {@code auto} is the default; another value fails with
 * {@link IllegalArgumentException}. Implementations are stateless and thread-safe; callers
 * validate bounds, implementations only {@code assert}.
 */
public interface MatVec {

    /** The system property that forces an implementation. */
    String PROPERTY = "kvplace.matvec";

    /** {@code "scalar"} or {@code "panama"}. */
    String name();

    /** Sum over {@code i < n} of the f32 at {@code offset + 4i} of {@code w} times {@code x[i]}. */
    float dotF32(MemorySegment w, long offset, float[] x, int n);

    /**
     * {@code out[r] = } the f32 row at {@code offset + r * rowBytes} of {@code w} times
     * {@code x[0 .. n)}, for {@code from <= r < to}: {@link #dotF32} of each row, within the same
     * tolerance (an implementation may sum in another order and compute several rows at once). A
     * row's value depends only on the row and {@code x}, never on {@code from} and {@code to}, so a
     * product split into row ranges is bit-identical to the whole. The default calls
     * {@link #dotF32} row by row.
     *
     * @param w the weights
     * @param offset byte offset of row 0
     * @param rowBytes bytes from one row to the next, at least {@code 4 * n}
     * @param x the vector, at least {@code n} floats
     * @param n elements per row
     * @param out receives the products at indices {@code from .. to-1}
     * @param from first row
     * @param to row after the last
     */
    default void dotF32Rows(MemorySegment w, long offset, long rowBytes, float[] x, int n, float[] out, int from,
            int to) {
        for (int r = from; r < to; r++) {
            out[r] = dotF32(w, offset + r * rowBytes, x, n);
        }
    }

    /** Like {@link #dotF32} for f16 weights (2 bytes each). */
    float dotF16(MemorySegment w, long offset, float[] x, int n);

    /** Like {@link #dotF32} for Q8_0 blocks of 32 weights ({@code n} a multiple of 32). */
    float dotQ8(MemorySegment w, long offset, float[] x, int n);

    /**
     * Reads {@code bytes} bytes at {@code offset} of {@code w} as native-order floats and returns
     * their sum: the memory read baseline of matrix-vector products (the speed of reading weights
     * and doing nothing else). The default is a plain loop; the Vector API implementation reads
     * with {@code PanamaReadBaseline}, several vectors per iteration.
     *
     * @param w the memory to read
     * @param offset byte offset, a multiple of 4
     * @param bytes bytes to read, a multiple of 4
     * @return the sum (meaningless; returned so that the reads cannot be elided)
     */
    default float readSum(MemorySegment w, long offset, long bytes) {
        assert offset % Float.BYTES == 0 && bytes % Float.BYTES == 0 : offset + " " + bytes;
        float s0 = 0f;
        float s1 = 0f;
        long end = offset + bytes;
        long o = offset;
        for (; o + 2 * Float.BYTES <= end; o += 2 * Float.BYTES) {
            s0 += w.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, o);
            s1 += w.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, o + Float.BYTES);
        }
        for (; o < end; o += Float.BYTES) {
            s0 += w.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, o);
        }
        return s0 + s1;
    }

    /** The implementation in use. */
    static MatVec get() {
        return MatVecs.Holder.INSTANCE;
    }

    /**
     * {@link #get()} without its cold phase: when {@link #get()} is the Vector API implementation,
     * an implementation that computes with the scalar one until the Vector API one has been compiled
     * (a trial on a daemon thread, started by the first call, runs both on random rows and switches
     * once the vector rows are no slower; see {@code WarmUp}), else {@link #get()} itself. Each dot
     * product is wholly one implementation's, so results agree with {@link #get()}'s within the
     * tolerances between the two, but which one a call gets depends on timing: use {@link #get()}
     * where runs must agree bit for bit. One shared instance per process.
     *
     * @return a shared, thread-safe implementation
     */
    static MatVec warmStart() {
        return MatVecs.WarmStartHolder.INSTANCE;
    }

    /** The scalar reference implementation, whatever {@link #get()} chose. */
    static MatVec scalar() {
        return ScalarMatVec.INSTANCE;
    }
}
