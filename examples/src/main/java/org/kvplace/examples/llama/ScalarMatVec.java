package org.kvplace.examples.llama;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Plain-loop dot products: the reference and the fallback without the Vector API. */
class ScalarMatVec implements MatVec {

    static final ScalarMatVec INSTANCE = new ScalarMatVec();

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
