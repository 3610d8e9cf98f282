package org.kvplace.examples.llama;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.kvplace.kernels.MatVec;

/**
 * A weight matrix (or vector) viewed in place in a mapped GGUF tensor: {@code rows} rows of
 * {@code cols} elements of type F32, F16 or Q8_0. Nothing is copied; the matrix is valid while
 * its {@link GgufFile} is open. Thread-safe (read-only).
 */
public final class Matrix {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final GgmlType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    private final MatVec ops;

    private Matrix(GgufTensor t, MatVec ops) throws GgufFormatException {
        this.name = t.name();
        this.type = t.type();
        this.data = t.data();
        long c = t.dims()[0];
        long r = t.elementCount() / c;
        if (c > Integer.MAX_VALUE || r > Integer.MAX_VALUE) {
            throw new GgufFormatException("tensor " + Printable.name(name) + " at offset " + t.fileOffset() + " is too large: "
                    + java.util.Arrays.toString(t.dims()));
        }
        if (c % type.blockElements() != 0) {
            throw new GgufFormatException("tensor " + Printable.name(name) + " at offset " + t.fileOffset() + ": row length " + c
                    + " is not a multiple of the " + type + " block of " + type.blockElements());
        }
        this.cols = (int) c;
        this.rows = (int) r;
        this.rowBytes = type.bytesFor(c);
        this.ops = ops;
    }

    /**
     * A view of {@code t}: {@code dims[0]} columns, the product of the other dimensions rows.
     *
     * @throws GgufFormatException if a row is not a whole number of blocks or too large
     */
    public static Matrix of(GgufTensor t) throws GgufFormatException {
        return new Matrix(t, MatVec.get());
    }

    /** Like {@link #of(GgufTensor)} with a chosen implementation (for tests and measurements). */
    static Matrix of(GgufTensor t, MatVec ops) throws GgufFormatException {
        return new Matrix(t, ops);
    }

    /** Tensor name. */
    public String name() {
        return name;
    }

    /** Element type. */
    public GgmlType type() {
        return type;
    }

    /** Number of rows. */
    public int rows() {
        return rows;
    }

    /** Elements per row. */
    public int cols() {
        return cols;
    }

    /** Dot product of row {@code row} with {@code x[0 .. cols)}. */
    public float dot(int row, float[] x) {
        long off = row * rowBytes;
        return switch (type) {
            case F32 -> ops.dotF32(data, off, x, cols);
            case F16 -> ops.dotF16(data, off, x, cols);
            case Q8_0 -> ops.dotQ8(data, off, x, cols);
        };
    }

    /**
     * {@code out[r] = row r . x} for every row.
     *
     * @throws IllegalArgumentException if {@code x.length < cols} or {@code out.length < rows}
     */
    public void matvec(float[] x, float[] out) {
        checkMatvec(x, out);
        matvec(x, out, 0, rows);
    }

    /**
     * {@code out[r] = row r . x} for the rows {@code from <= r < to}: a part of {@link #matvec} (the
     * same value for each row, whatever the range; f32 rows several at a time through
     * {@code MatVec.dotF32Rows}, within the tolerance of {@link #dot}). Callers check the arguments
     * ({@link #checkMatvec}); this only asserts.
     */
    void matvec(float[] x, float[] out, int from, int to) {
        assert x.length >= cols && out.length >= rows && 0 <= from && from <= to && to <= rows : from + ".." + to;
        if (type == GgmlType.F32) {
            ops.dotF32Rows(data, 0, rowBytes, x, cols, out, from, to);
            return;
        }
        for (int r = from; r < to; r++) {
            out[r] = dot(r, x);
        }
    }

    /**
     * Checks the arguments of a product.
     *
     * @throws IllegalArgumentException if {@code x.length < cols} or {@code out.length < rows}
     */
    void checkMatvec(float[] x, float[] out) {
        if (x.length < cols || out.length < rows) {
            throw new IllegalArgumentException(name + ": x length " + x.length + " < cols " + cols + " or out length "
                    + out.length + " < rows " + rows);
        }
    }

    /**
     * Copies row {@code row}, converted to f32, into {@code dst[0 .. cols)}.
     *
     * @throws IndexOutOfBoundsException if the row does not exist or {@code dst} is too short
     */
    public void row(int row, float[] dst) {
        java.util.Objects.checkIndex(row, rows);
        java.util.Objects.checkFromIndexSize(0, cols, dst.length);
        long off = row * rowBytes;
        switch (type) {
            case F32 -> MemorySegment.copy(data, F32, off, dst, 0, cols);
            case F16 -> {
                for (int i = 0; i < cols; i++) {
                    dst[i] = Float.float16ToFloat(data.get(F16, off + 2L * i));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < cols / 32; b++) {
                    long block = off + 34L * b;
                    float scale = Float.float16ToFloat(data.get(F16, block));
                    for (int i = 0; i < 32; i++) {
                        dst[b * 32 + i] = scale * data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, block + 2 + i);
                    }
                }
            }
        }
    }

    /** All elements as f32 (for small tensors such as norm weights). */
    public float[] toFloats() {
        float[] all = new float[Math.multiplyExact(rows, cols)];
        float[] r = new float[cols];
        for (int i = 0; i < rows; i++) {
            row(i, r);
            System.arraycopy(r, 0, all, i * cols, cols);
        }
        return all;
    }

    /** The index ({@code row * cols + col}) of the first NaN or infinite element, or -1. Allocates a row. */
    public long firstNonFinite() {
        float[] r = new float[cols];
        for (int i = 0; i < rows; i++) {
            row(i, r);
            for (int j = 0; j < cols; j++) {
                if (!Float.isFinite(r[j])) {
                    return (long) i * cols + j;
                }
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + rows + "x" + cols;
    }
}
