package org.kvplace.examples.llama;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a GGUF version 3 file (little-endian, 32-byte alignment) in one pass: metadata, tensor
 * infos, then each tensor's data as its {@link TensorSource} produces it, row by row, so that a
 * file of several gigabytes is written with one row in memory.
 *
 * <p>Metadata values: {@code u32}, {@code f32}, strings, and arrays of strings, {@code f32} and
 * {@code i32}. Not thread-safe; one writer per file.
 */
public final class GgufWriter {

    /** GGUF magic, {@code "GGUF"} read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    /** Alignment of the data section and of every tensor in it. */
    static final int ALIGNMENT = 32;

    private static final int T_I32 = 5;
    private static final int T_U32 = 4;
    private static final int T_F32 = 6;
    private static final int T_STRING = 8;
    private static final int T_ARRAY = 9;

    /** Produces a tensor's rows in order. */
    @FunctionalInterface
    public interface TensorSource {
        /**
         * Fills {@code row} (one row of the tensor's type, little-endian) with row {@code index}.
         *
         * @param index the row, counting from 0
         * @param row the row's bytes, to be overwritten; position 0, limit the row's byte size
         */
        void row(long index, ByteBuffer row);
    }

    private record Kv(String key, int type, Object value) {}

    private record Tensor(String name, GgmlType type, long[] dims, TensorSource source, long bytes) {}

    private final List<Kv> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();

    /** Adds a {@code u32} key. */
    public GgufWriter u32(String key, int value) {
        kvs.add(new Kv(key, T_U32, value));
        return this;
    }

    /** Adds an {@code f32} key. */
    public GgufWriter f32(String key, float value) {
        kvs.add(new Kv(key, T_F32, value));
        return this;
    }

    /** Adds a string key. */
    public GgufWriter string(String key, String value) {
        kvs.add(new Kv(key, T_STRING, value));
        return this;
    }

    /** Adds an array of strings. */
    public GgufWriter strings(String key, String[] values) {
        kvs.add(new Kv(key, T_ARRAY, values.clone()));
        return this;
    }

    /** Adds an array of {@code f32}. */
    public GgufWriter floats(String key, float[] values) {
        kvs.add(new Kv(key, T_ARRAY, values.clone()));
        return this;
    }

    /** Adds an array of {@code i32}. */
    public GgufWriter ints(String key, int[] values) {
        kvs.add(new Kv(key, T_ARRAY, values.clone()));
        return this;
    }

    /**
     * Adds a tensor: {@code dims[0]} elements per row (GGUF's {@code ne0}), the product of the
     * other dimensions rows.
     *
     * @throws IllegalArgumentException if a dimension is not positive or a row is not a whole number
     *     of {@code type}'s blocks
     */
    public GgufWriter tensor(String name, GgmlType type, long[] dims, TensorSource source) {
        long elements = 1;
        for (long d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor " + name + ": dimension " + d + " must be positive");
            }
            elements = Math.multiplyExact(elements, d);
        }
        type.bytesFor(dims[0]); // a whole number of blocks per row, else IAE naming the sizes
        tensors.add(new Tensor(name, type, dims.clone(), source, type.bytesFor(elements)));
        return this;
    }

    /** The size of the file {@link #write} produces, in bytes. */
    public long fileBytes() {
        long data = 0;
        for (Tensor t : tensors) {
            data = align(data) + t.bytes;
        }
        return align(headerBytes()) + data;
    }

    private long headerBytes() {
        long n = 4 + 4 + 8 + 8;
        for (Kv kv : kvs) {
            n += stringBytes(kv.key) + 4;
            n += switch (kv.value) {
                case String s -> stringBytes(s);
                case String[] a -> {
                    long sum = 4 + 8;
                    for (String s : a) {
                        sum += stringBytes(s);
                    }
                    yield sum;
                }
                case float[] a -> 4 + 8 + 4L * a.length;
                case int[] a -> 4 + 8 + 4L * a.length;
                default -> 4;
            };
        }
        for (Tensor t : tensors) {
            n += stringBytes(t.name) + 4 + 8L * t.dims.length + 4 + 8;
        }
        return n;
    }

    private static long stringBytes(String s) {
        return 8 + s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static long align(long x) {
        return (x + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /**
     * Writes the file to {@code sink} (not closed here, but flushed).
     *
     * @throws IOException if writing fails
     */
    public void write(OutputStream sink) throws IOException {
        Out out = new Out(new BufferedOutputStream(sink, 1 << 20));
        out.u32(MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(kvs.size());
        for (Kv kv : kvs) {
            out.string(kv.key);
            out.u32(kv.type);
            switch (kv.value) {
                case Integer i -> out.u32(i);
                case Float f -> out.u32(Float.floatToRawIntBits(f));
                case String s -> out.string(s);
                case String[] a -> {
                    out.u32(T_STRING);
                    out.u64(a.length);
                    for (String s : a) {
                        out.string(s);
                    }
                }
                case float[] a -> {
                    out.u32(T_F32);
                    out.u64(a.length);
                    for (float f : a) {
                        out.u32(Float.floatToRawIntBits(f));
                    }
                }
                case int[] a -> {
                    out.u32(T_I32);
                    out.u64(a.length);
                    for (int i : a) {
                        out.u32(i);
                    }
                }
                default -> throw new AssertionError(kv.value);
            }
        }
        long rel = 0;
        for (Tensor t : tensors) {
            rel = align(rel);
            out.string(t.name);
            out.u32(t.dims.length);
            for (long d : t.dims) {
                out.u64(d);
            }
            out.u32(t.type.id());
            out.u64(rel);
            rel += t.bytes;
        }
        out.pad(align(out.written));
        long start = out.written;
        rel = 0;
        for (Tensor t : tensors) {
            rel = align(rel);
            out.pad(start + rel);
            long rowBytes = t.type.bytesFor(t.dims[0]);
            long rows = t.bytes / rowBytes;
            ByteBuffer row = ByteBuffer.allocate(Math.toIntExact(rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
            for (long r = 0; r < rows; r++) {
                row.clear();
                t.source.row(r, row);
                out.bytes(row.array(), (int) rowBytes);
            }
            rel += t.bytes;
        }
        out.flush();
    }

    /** Little-endian primitives over a stream, counting the bytes written. */
    private static final class Out {
        private final OutputStream out;
        private final byte[] scratch = new byte[8];
        long written;

        Out(OutputStream out) {
            this.out = out;
        }

        void u32(int v) throws IOException {
            ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v);
            bytes(scratch, 4);
        }

        void u64(long v) throws IOException {
            ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
            bytes(scratch, 8);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b, b.length);
        }

        void pad(long to) throws IOException {
            while (written < to) {
                out.write(0);
                written++;
            }
        }

        void bytes(byte[] b, int n) throws IOException {
            out.write(b, 0, n);
            written += n;
        }

        void flush() throws IOException {
            out.flush();
        }
    }
}
