package org.kvplace.examples.llama;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a {@link GgufFile}: its name, element type, dimensions and bytes.
 *
 * <p>{@code dims[0]} is the innermost (contiguous) dimension, as GGUF stores it: a matrix with
 * {@code dims = {cols, rows}} holds row after row of {@code cols} elements. {@link #data()} is a
 * slice of the file's mapping, valid until the file is closed.
 *
 * @param name tensor name, such as {@code blk.0.attn_q.weight}
 * @param type element type
 * @param dims dimensions, innermost first
 * @param fileOffset absolute byte offset of the data in the file
 * @param data the tensor's bytes (a slice of the mapped file)
 */
public record GgufTensor(String name, GgmlType type, long[] dims, long fileOffset, MemorySegment data) {

    /** Number of elements: the product of the dimensions. */
    public long elementCount() {
        return elementCount(dims);
    }

    static long elementCount(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** A readable description: name, type, dims and offset. */
    public String describe() {
        return name + " " + type + " " + java.util.Arrays.toString(dims) + " at offset " + fileOffset;
    }
}
