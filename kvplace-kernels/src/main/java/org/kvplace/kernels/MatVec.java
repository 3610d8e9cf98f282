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

    /** Like {@link #dotF32} for f16 weights (2 bytes each). */
    float dotF16(MemorySegment w, long offset, float[] x, int n);

    /** Like {@link #dotF32} for Q8_0 blocks of 32 weights ({@code n} a multiple of 32). */
    float dotQ8(MemorySegment w, long offset, float[] x, int n);

    /** The implementation in use. */
    static MatVec get() {
        return MatVecs.Holder.INSTANCE;
    }

    /** The scalar reference implementation, whatever {@link #get()} chose. */
    static MatVec scalar() {
        return ScalarMatVec.INSTANCE;
    }
}
