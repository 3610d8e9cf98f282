package org.kvplace.examples.llama;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A GGUF model file (versions 1, 2 and 3, little-endian), memory-mapped.
 *
 * <p>{@link #open} maps the whole file into a shared {@link Arena} owned by this object, parses the
 * header, the metadata key/value pairs and the tensor infos, and checks that every tensor's data
 * lies inside the file. Version 1 stores counts, string lengths and dimensions as u32; versions 2
 * and 3 as u64. Tensor data is not copied: {@link GgufTensor#data()} are slices of the mapping.
 *
 * <p>Every format error is a {@link GgufFormatException} whose message names the file, the key or
 * tensor concerned, and the byte offset.
 *
 * <p>Ownership: {@link #close()} (idempotent) unmaps the file; tensor slices become unusable and
 * accessing them throws {@link IllegalStateException}. Thread safety: after {@link #open} returns,
 * reads from any thread are safe.
 */
public final class GgufFile implements AutoCloseable {

    /** The magic number {@code "GGUF"} read as a little-endian u32. */
    public static final int MAGIC = 0x4655_4747;
    /** The default tensor data alignment in bytes when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final Map<String, Long> keyOffsets = new LinkedHashMap<>();
    private final Map<String, GgufTensor> tensors = new LinkedHashMap<>();
    private final long metadataStart;
    private long metadataEnd;
    private long pos;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GgufFile(Path path, Arena arena, MemorySegment file) throws GgufFormatException {
        this.path = path;
        this.arena = arena;
        this.file = file;
        int magic = u32("magic");
        if (magic != MAGIC) {
            throw error(String.format("bad magic 0x%08x at offset 0 (expected 0x%08x, \"GGUF\")", magic, MAGIC));
        }
        this.version = u32("version");
        if (version < 1 || version > 3) {
            throw error("unsupported version " + Integer.toUnsignedString(version) + " at offset 4 (supported: 1, 2, 3;"
                    + " big-endian files are not supported)");
        }
        long tensorCount = count("tensor count");
        if (tensorCount > Integer.MAX_VALUE - 8) {
            throw error("tensor count at offset 8 is " + tensorCount + ", more than this reader holds");
        }
        long kvCount = count("metadata key/value count");
        this.metadataStart = pos;
        for (long i = 0; i < kvCount; i++) {
            long at = pos;
            String key = string("metadata key #" + i);
            int type = u32("value type of key " + Printable.name(key));
            keyOffsets.put(key, at);
            metadata.put(key, value(type, "key " + Printable.name(key)));
        }
        this.metadataEnd = pos;
        long alignment = DEFAULT_ALIGNMENT;
        Object a = metadata.get("general.alignment");
        if (a != null) {
            alignment = a instanceof Number n ? n.longValue() : -1;
            if (alignment <= 0 || Long.bitCount(alignment) != 1) {
                throw error("key 'general.alignment' at offset " + keyOffsets.get("general.alignment") + " is " + a
                        + ", not a positive power of two");
            }
        }
        record Info(String name, GgmlType type, long[] dims, long relOffset, long infoOffset) {}
        Info[] infos = new Info[(int) tensorCount];
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < tensorCount; i++) {
            long at = pos;
            String name = string("name of tensor #" + i);
            int nDims = u32("dimension count of tensor " + Printable.name(name));
            if (nDims < 1 || nDims > 4) {
                throw error("tensor " + Printable.name(name) + " at offset " + at + " has " + Integer.toUnsignedString(nDims)
                        + " dimensions (expected 1 to 4)");
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = version == 1 ? Integer.toUnsignedLong(u32("dimension " + d + " of tensor " + Printable.name(name)))
                        : u64("dimension " + d + " of tensor " + Printable.name(name));
                if (dims[d] <= 0) {
                    throw error("tensor " + Printable.name(name) + " at offset " + at + " has dimension " + d + " = " + dims[d]);
                }
            }
            int typeId = u32("type of tensor " + Printable.name(name));
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw error("tensor " + Printable.name(name) + " at offset " + at + " has unsupported type " + GgmlType.describe(typeId)
                        + " (supported: F32, F16, Q8_0)");
            }
            long rel = u64("data offset of tensor " + Printable.name(name));
            if (!names.add(name)) {
                throw error("duplicate tensor " + Printable.name(name) + " at offset " + at);
            }
            infos[i] = new Info(name, type, dims, rel, at);
        }
        long dataStart = align(pos, alignment);
        for (Info info : infos) {
            long elements;
            long bytes;
            try {
                elements = GgufTensor.elementCount(info.dims);
                bytes = info.type.bytesFor(elements);
            } catch (ArithmeticException | IllegalArgumentException e) {
                throw error("tensor " + Printable.name(info.name) + " (info at offset " + info.infoOffset + ") has bad size "
                        + java.util.Arrays.toString(info.dims) + " for " + info.type + ": " + e.getMessage());
            }
            long start = dataStart + info.relOffset;
            if (info.relOffset < 0 || start < dataStart || start > file.byteSize() || bytes > file.byteSize() - start) {
                throw error("tensor " + Printable.name(info.name) + " at offset " + Long.toUnsignedString(start) + " with " + bytes
                        + " bytes extends beyond the file end (" + file.byteSize() + " bytes)");
            }
            if (info.relOffset % alignment != 0) {
                throw error("tensor " + Printable.name(info.name) + " (info at offset " + info.infoOffset + ") has data offset "
                        + info.relOffset + ", not a multiple of the alignment " + alignment);
            }
            tensors.put(info.name, new GgufTensor(info.name, info.type, info.dims, start, file.asSlice(start, bytes)));
        }
        checkNoOverlap();
    }

    /** Two tensors whose data share bytes are a corrupt file, not two views of one array. */
    private void checkNoOverlap() throws GgufFormatException {
        GgufTensor[] byStart = tensors.values().stream().filter(t -> t.data().byteSize() > 0)
                .sorted(java.util.Comparator.comparingLong(GgufTensor::fileOffset)).toArray(GgufTensor[]::new);
        for (int i = 1; i < byStart.length; i++) {
            GgufTensor a = byStart[i - 1];
            GgufTensor b = byStart[i];
            long aEnd = a.fileOffset() + a.data().byteSize();
            if (b.fileOffset() < aEnd) {
                throw error("tensors " + Printable.name(a.name()) + " (bytes " + a.fileOffset() + ".." + aEnd + ") and " + Printable.name(b.name())
                        + " (from offset " + b.fileOffset() + ") overlap");
            }
        }
    }

    /**
     * Maps and parses {@code path}.
     *
     * @throws GgufFormatException if the file is not a valid GGUF file of a supported version and type
     * @throws IOException if it cannot be read
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The file path. */
    public Path path() {
        return path;
    }

    /** The GGUF version (1, 2 or 3). */
    public int version() {
        return version;
    }

    /** Size of the file in bytes. */
    public long size() {
        return file.byteSize();
    }

    /**
     * All metadata, in file order. Values: {@code Integer} (8/16/32-bit signed and 8/16-bit unsigned),
     * {@code Long} (u32, 64-bit), {@code Float}, {@code Double}, {@code Boolean}, {@code String}, and
     * arrays: {@code String[]}, {@code float[]}, {@code int[]}, {@code long[]}, {@code double[]},
     * {@code boolean[]}, {@code Object[]} (arrays of arrays).
     */
    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** All tensors by name, in file order. */
    public Map<String, GgufTensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** The tensor named {@code name}, or {@code null}. */
    public GgufTensor tensorOrNull(String name) {
        return tensors.get(name);
    }

    /**
     * The tensor named {@code name}.
     *
     * @throws GgufFormatException if there is none
     */
    public GgufTensor tensor(String name) throws GgufFormatException {
        GgufTensor t = tensors.get(name);
        if (t == null) {
            throw error("missing required tensor " + Printable.name(name) + " (" + tensors.size() + " tensor infos end at offset "
                    + pos + ")");
        }
        return t;
    }

    /** Whether metadata key {@code key} exists. */
    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /**
     * An integer metadata value.
     *
     * @throws GgufFormatException if the key is missing or not an integer in the {@code int} range
     */
    public int requireInt(String key) throws GgufFormatException {
        Object v = require(key);
        if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() == ((Number) v).intValue()) {
            return ((Number) v).intValue();
        }
        throw wrongType(key, v, "an integer");
    }

    /** Like {@link #requireInt} with a default when the key is absent. */
    public int intOr(String key, int defaultValue) throws GgufFormatException {
        return has(key) ? requireInt(key) : defaultValue;
    }

    /**
     * A numeric metadata value as a float.
     *
     * @throws GgufFormatException if the key is missing or not a number
     */
    public float requireFloat(String key) throws GgufFormatException {
        Object v = require(key);
        if (v instanceof Number n) {
            return n.floatValue();
        }
        throw wrongType(key, v, "a number");
    }

    /** Like {@link #requireFloat} with a default when the key is absent. */
    public float floatOr(String key, float defaultValue) throws GgufFormatException {
        return has(key) ? requireFloat(key) : defaultValue;
    }

    /**
     * A string metadata value.
     *
     * @throws GgufFormatException if the key is missing or not a string
     */
    public String requireString(String key) throws GgufFormatException {
        Object v = require(key);
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(key, v, "a string");
    }

    /**
     * An array metadata value of the given Java array type.
     *
     * @throws GgufFormatException if the key is missing or holds another type
     */
    public <T> T requireArray(String key, Class<T> arrayType) throws GgufFormatException {
        Object v = require(key);
        if (arrayType.isInstance(v)) {
            return arrayType.cast(v);
        }
        throw wrongType(key, v, "an array " + arrayType.getSimpleName());
    }

    private Object require(String key) throws GgufFormatException {
        Object v = metadata.get(key);
        if (v == null) {
            throw error("missing required metadata key " + Printable.name(key) + " (metadata at offsets " + metadataStart + ".."
                    + metadataEnd + ")");
        }
        return v;
    }

    private GgufFormatException wrongType(String key, Object v, String expected) {
        return error("metadata key " + Printable.name(key) + " at offset " + keyOffsets.get(key) + " is " + v.getClass().getSimpleName()
                + ", expected " + expected);
    }

    /** Throws a format exception naming this file. */
    GgufFormatException error(String message) {
        // Names from the file are quoted and cut where they are put in; this escapes anything else.
        return new GgufFormatException(Printable.escape(path + ": " + message));
    }

    /** The byte offset at which metadata key {@code key} begins, or -1 if it is absent. */
    public long keyOffset(String key) {
        return keyOffsets.getOrDefault(key, -1L);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }

    // ---- parsing -------------------------------------------------------------------------------

    private static long align(long offset, long alignment) {
        return Math.ceilDiv(offset, alignment) * alignment;
    }

    private void need(long bytes, String what) throws GgufFormatException {
        if (bytes < 0 || bytes > file.byteSize() - pos) {
            throw error("truncated: " + what + " at offset " + pos + " needs " + Long.toUnsignedString(bytes)
                    + " bytes, the file ends at " + file.byteSize());
        }
    }

    private int u32(String what) throws GgufFormatException {
        need(4, what);
        int v = file.get(U32, pos);
        pos += 4;
        return v;
    }

    private long u64(String what) throws GgufFormatException {
        need(8, what);
        long v = file.get(U64, pos);
        pos += 8;
        return v;
    }

    /** A count or length: u32 in version 1, u64 later; bounded by the file size. */
    private long count(String what) throws GgufFormatException {
        long at = pos;
        long n = version == 1 ? Integer.toUnsignedLong(u32(what)) : u64(what);
        if (n < 0 || n > file.byteSize()) {
            throw error(what + " at offset " + at + " is " + Long.toUnsignedString(n) + ", more than the file's "
                    + file.byteSize() + " bytes allow");
        }
        return n;
    }

    private String string(String what) throws GgufFormatException {
        long len = count("length of " + what);
        need(len, what);
        byte[] bytes = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private Object value(int type, String what) throws GgufFormatException {
        long at = pos;
        switch (type) {
            case 0 -> { need(1, what); return Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, pos++)); }
            case 1 -> { need(1, what); return (int) file.get(ValueLayout.JAVA_BYTE, pos++); }
            case 2 -> { need(2, what); int v = Short.toUnsignedInt(file.get(U16, pos)); pos += 2; return v; }
            case 3 -> { need(2, what); int v = file.get(U16, pos); pos += 2; return v; }
            case 4 -> { return Integer.toUnsignedLong(u32(what)); }
            case 5 -> { return u32(what); }
            case 6 -> { need(4, what); float v = file.get(F32, pos); pos += 4; return v; }
            case 7 -> { need(1, what); return file.get(ValueLayout.JAVA_BYTE, pos++) != 0; }
            case 8 -> { return string(what); }
            case 9 -> { return array(what, 0); }
            case 10, 11 -> { return u64(what); }
            case 12 -> { need(8, what); double v = file.get(F64, pos); pos += 8; return v; }
            default -> throw error(what + ": unknown value type " + Integer.toUnsignedString(type) + " at offset "
                    + (at - 4));
        }
    }

    /** Arrays of arrays nest at most this deep; deeper nesting is taken as corruption. */
    private static final int MAX_ARRAY_DEPTH = 4;

    /** The fewest bytes one element of {@code type} occupies, to check a count before allocating. */
    private long minElementBytes(int type) {
        return switch (type) {
            case 0, 1, 7 -> 1;
            case 2, 3 -> 2;
            case 4, 5, 6 -> 4;
            case 8 -> version == 1 ? 4 : 8;
            case 9 -> version == 1 ? 8 : 12;
            default -> 8;
        };
    }

    private Object array(String what, int depth) throws GgufFormatException {
        long typeAt = pos;
        int elemType = u32("element type of array " + what);
        if (depth >= MAX_ARRAY_DEPTH && elemType == 9) {
            throw error("array " + what + " at offset " + typeAt + " nests arrays more than " + MAX_ARRAY_DEPTH
                    + " deep");
        }
        long at = pos;
        long n = count("length of array " + what);
        if (n > Integer.MAX_VALUE - 8) {
            throw error("array " + what + " at offset " + at + " has " + n + " elements, more than this reader holds");
        }
        // A corrupt length must fail as a format error, not as an OutOfMemoryError of the allocation below.
        need(n * minElementBytes(elemType), "array " + what + " of " + n + " elements");
        int len = (int) n;
        switch (elemType) {
            case 6 -> {
                need(4 * n, what);
                float[] a = new float[len];
                MemorySegment.copy(file, F32, pos, a, 0, len);
                pos += 4 * n;
                return a;
            }
            case 0, 1, 2, 3, 5 -> {
                int[] a = new int[len];
                for (int i = 0; i < len; i++) {
                    a[i] = (Integer) value(elemType, what);
                }
                return a;
            }
            case 4, 10, 11 -> {
                long[] a = new long[len];
                for (int i = 0; i < len; i++) {
                    a[i] = (Long) value(elemType, what);
                }
                return a;
            }
            case 12 -> {
                double[] a = new double[len];
                for (int i = 0; i < len; i++) {
                    a[i] = (Double) value(elemType, what);
                }
                return a;
            }
            case 7 -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) {
                    a[i] = (Boolean) value(elemType, what);
                }
                return a;
            }
            case 8 -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) {
                    a[i] = string(what + "[" + i + "]");
                }
                return a;
            }
            case 9 -> {
                Object[] a = new Object[len];
                for (int i = 0; i < len; i++) {
                    a[i] = array(what + "[" + i + "]", depth + 1);
                }
                return a;
            }
            default -> throw error(what + ": unknown array element type " + Integer.toUnsignedString(elemType)
                    + " at offset " + (pos - (version == 1 ? 8 : 12)));
        }
    }
}
