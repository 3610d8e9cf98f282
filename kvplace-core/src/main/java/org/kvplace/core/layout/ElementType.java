package org.kvplace.core.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element type of the K and V values stored in pages. Page metadata (key min and max) is always
 * kept in f32 whatever the element type.
 */
public enum ElementType {
    /** IEEE 754 binary32. */
    F32(Float.BYTES),
    /** IEEE 754 binary16 (half precision); values are rounded to nearest-even on append. */
    F16(Short.BYTES);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Reads one element at byte offset {@code offset} of {@code segment} as a float. */
    public float load(MemorySegment segment, long offset) {
        return switch (this) {
            case F32 -> segment.get(ValueLayout.JAVA_FLOAT, offset);
            case F16 -> Float.float16ToFloat(segment.get(ValueLayout.JAVA_SHORT, offset));
        };
    }

    /** Writes one element at byte offset {@code offset} of {@code segment}. */
    public void store(MemorySegment segment, long offset, float value) {
        switch (this) {
            case F32 -> segment.set(ValueLayout.JAVA_FLOAT, offset, value);
            case F16 -> segment.set(ValueLayout.JAVA_SHORT, offset, Float.floatToFloat16(value));
        }
    }

    /** The value {@code value} reads back as after a store: itself for f32, rounded for f16. */
    public float round(float value) {
        return switch (this) {
            case F32 -> value;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(value));
        };
    }
}
