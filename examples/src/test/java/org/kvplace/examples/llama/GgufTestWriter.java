package org.kvplace.examples.llama;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small GGUF files for tests, independently of the reader: versions 1 (u32 counts) and
 * 2/3 (u64 counts), and records where each key, tensor info and tensor's data begins.
 */
final class GgufTestWriter {

    private record Kv(String key, int type, Object value) {}

    private record Tensor(String name, int type, long[] dims, byte[] data) {}

    private final int version;
    private final List<Kv> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    final Map<String, Long> keyOffsets = new LinkedHashMap<>();
    final Map<String, Long> infoOffsets = new LinkedHashMap<>();
    final Map<String, Long> dataOffsets = new LinkedHashMap<>();
    /** Data offsets to write into tensor infos instead of the true ones (the data stays in place). */
    private final Map<String, Long> claimedOffsets = new LinkedHashMap<>();
    int magic = 0x46554747;

    GgufTestWriter(int version) {
        this.version = version;
    }

    GgufTestWriter string(String key, String value) {
        kvs.add(new Kv(key, 8, value));
        return this;
    }

    GgufTestWriter u32(String key, int value) {
        kvs.add(new Kv(key, 4, value));
        return this;
    }

    GgufTestWriter f32(String key, float value) {
        kvs.add(new Kv(key, 6, value));
        return this;
    }

    GgufTestWriter strings(String key, String... values) {
        kvs.add(new Kv(key, 9, new Object[] {8, values}));
        return this;
    }

    GgufTestWriter floats(String key, float... values) {
        kvs.add(new Kv(key, 9, new Object[] {6, values}));
        return this;
    }

    GgufTestWriter ints(String key, int... values) {
        kvs.add(new Kv(key, 9, new Object[] {5, values}));
        return this;
    }

    GgufTestWriter tensorF32(String name, long[] dims, float... values) {
        ByteBuffer b = le(values.length * 4);
        for (float v : values) {
            b.putFloat(v);
        }
        return tensor(name, 0, dims, b.array());
    }

    GgufTestWriter tensorF16(String name, long[] dims, float... values) {
        ByteBuffer b = le(values.length * 2);
        for (float v : values) {
            b.putShort(Float.floatToFloat16(v));
        }
        return tensor(name, 1, dims, b.array());
    }

    /** Q8_0: per block of 32, one f16 scale then 32 signed bytes. */
    GgufTestWriter tensorQ8(String name, long[] dims, float[] scales, byte[] quants) {
        ByteBuffer b = le(scales.length * 34);
        for (int blk = 0; blk < scales.length; blk++) {
            b.putShort(Float.floatToFloat16(scales[blk]));
            b.put(quants, blk * 32, 32);
        }
        return tensor(name, 8, dims, b.array());
    }

    GgufTestWriter tensor(String name, int type, long[] dims, byte[] data) {
        tensors.add(new Tensor(name, type, dims, data));
        return this;
    }

    /** Makes tensor {@code name}'s info claim data offset {@code rel} (relative to the data section). */
    GgufTestWriter claimOffset(String name, long rel) {
        claimedOffsets.put(name, rel);
        return this;
    }

    byte[] bytes() {
        Out out = new Out();
        out.u32(magic);
        out.u32(version);
        out.count(tensors.size());
        out.count(kvs.size());
        for (Kv kv : kvs) {
            keyOffsets.put(kv.key, (long) out.size());
            out.string(kv.key);
            out.u32(kv.type);
            out.value(kv.type, kv.value);
        }
        long rel = 0;
        List<Long> rels = new ArrayList<>();
        for (Tensor t : tensors) {
            infoOffsets.put(t.name, (long) out.size());
            out.string(t.name);
            out.u32(t.dims.length);
            for (long d : t.dims) {
                out.count(d);
            }
            out.u32(t.type);
            out.u64(claimedOffsets.getOrDefault(t.name, rel));
            rels.add(rel);
            rel = align(rel + t.data.length);
        }
        long start = align(out.size());
        out.pad(start);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            dataOffsets.put(t.name, start + rels.get(i));
            out.pad(start + rels.get(i));
            out.write(t.data, 0, t.data.length);
        }
        return out.toByteArray();
    }

    Path write(Path dir, String fileName) throws IOException {
        Path p = dir.resolve(fileName);
        Files.write(p, bytes());
        return p;
    }

    private static long align(long x) {
        return (x + 31) / 32 * 32;
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private final class Out extends ByteArrayOutputStream {
        void u32(int v) {
            write(le(4).putInt(v).array(), 0, 4);
        }

        void u64(long v) {
            write(le(8).putLong(v).array(), 0, 8);
        }

        void count(long v) {
            if (version == 1) {
                u32((int) v);
            } else {
                u64(v);
            }
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            count(b.length);
            write(b, 0, b.length);
        }

        void pad(long to) {
            while (size() < to) {
                write(0);
            }
        }

        void value(int type, Object v) {
            switch (type) {
                case 4, 5 -> u32((Integer) v);
                case 6 -> u32(Float.floatToRawIntBits((Float) v));
                case 8 -> string((String) v);
                case 9 -> {
                    Object[] a = (Object[]) v;
                    int et = (Integer) a[0];
                    u32(et);
                    switch (et) {
                        case 8 -> {
                            String[] s = (String[]) a[1];
                            count(s.length);
                            for (String x : s) {
                                string(x);
                            }
                        }
                        case 6 -> {
                            float[] f = (float[]) a[1];
                            count(f.length);
                            for (float x : f) {
                                u32(Float.floatToRawIntBits(x));
                            }
                        }
                        case 5 -> {
                            int[] f = (int[]) a[1];
                            count(f.length);
                            for (int x : f) {
                                u32(x);
                            }
                        }
                        default -> throw new IllegalArgumentException("array type " + et);
                    }
                }
                default -> throw new IllegalArgumentException("type " + type);
            }
        }
    }
}
