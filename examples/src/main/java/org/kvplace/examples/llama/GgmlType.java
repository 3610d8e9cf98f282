package org.kvplace.examples.llama;

/**
 * Tensor element types this reader supports, with their GGUF type ids and block geometry.
 *
 * <p>A type stores {@link #blockElements()} elements in {@link #blockBytes()} bytes: F32 and F16
 * one element per block; Q8_0 blocks of 32 elements, an f16 scale followed by 32 signed bytes
 * (element = scale * byte).
 */
public enum GgmlType {
    /** IEEE 754 binary32, little-endian. */
    F32(0, 1, 4),
    /** IEEE 754 binary16, little-endian. */
    F16(1, 1, 2),
    /** Blocks of 32 int8 quants with one f16 scale. */
    Q8_0(8, 32, 34);

    private final int id;
    private final int blockElements;
    private final int blockBytes;

    GgmlType(int id, int blockElements, int blockBytes) {
        this.id = id;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
    }

    /** The type id stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per block. */
    public int blockElements() {
        return blockElements;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /**
     * Bytes of {@code elements} elements.
     *
     * @throws IllegalArgumentException if {@code elements} is not a multiple of the block size
     */
    public long bytesFor(long elements) {
        if (elements % blockElements != 0) {
            throw new IllegalArgumentException(elements + " elements are not a multiple of the " + this
                    + " block of " + blockElements);
        }
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    /** The type with GGUF id {@code id}, or {@code null} if this reader does not support it. */
    public static GgmlType byId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** A readable name for any GGML type id, supported or not (for error messages). */
    public static String describe(int id) {
        String[] names = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"};
        return id >= 0 && id < names.length ? id + " (" + names[id] + ")" : Integer.toString(id);
    }
}
