package org.kvplace.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Plain-loop dot products: the reference (the test oracle of every other {@link MatVec}) and the
 * fallback without the Vector API. Stateless and thread-safe.
 */
public class ScalarMatVec implements MatVec {

    static final ScalarMatVec INSTANCE = new ScalarMatVec();

    /** Little-endian f32, unaligned: a weight of a GGUF tensor. */
    protected static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Little-endian f16 bits, unaligned: a weight (or a Q8_0 block scale) of a GGUF tensor. */
    protected static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** For subclasses; use {@link MatVec#get()} or {@link MatVec#scalar()}. */
    protected ScalarMatVec() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public float dotF32(MemorySegment w, long offset, float[] x, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += w.get(F32, offset + (long) i * Float.BYTES) * x[i];
        }
        return sum;
    }

    @Override
    public float dotF16(MemorySegment w, long offset, float[] x, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += Float.float16ToFloat(w.get(F16, offset + 2L * i)) * x[i];
        }
        return sum;
    }

    @Override
    public float dotQ8(MemorySegment w, long offset, float[] x, int n) {
        assert n % 32 == 0 : n;
        float sum = 0f;
        for (int b = 0; b < n / 32; b++) {
            long block = offset + 34L * b;
            float scale = Float.float16ToFloat(w.get(F16, block));
            float part = 0f;
            for (int i = 0; i < 32; i++) {
                part += w.get(ValueLayout.JAVA_BYTE, block + 2 + i) * x[b * 32 + i];
            }
            sum += scale * part;
        }
        return sum;
    }

    @Override
    public String toString() {
        return "scalar matvec";
    }
}
