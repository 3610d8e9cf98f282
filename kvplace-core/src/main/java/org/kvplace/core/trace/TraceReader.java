package org.kvplace.core.trace;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the binary trace format written by {@link TraceWriter}. Corrupt or truncated input fails
 * with a {@link TraceFormatException} naming the byte offset and the step. Owns its stream;
 * not thread-safe; {@code close()} is idempotent.
 *
 * <p>The header is checked before anything is sized by it: its sizes must make a valid
 * {@link TraceHeader} (at most {@link TraceHeader#MAX_UNIT_LAYERS} unit-layers), and when the
 * input's length is known (a regular file, or the length passed in) it must hold every step the
 * header announces (at least one byte each) and the 4-byte end marker. A header that claims
 * millions of steps in a 13-byte file thus fails at once, not after the steps were set up.
 */
public final class TraceReader implements AccessTrace {

    private final InputStream in;
    private final String source;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private long base; // file offset of buf[0]
    private final TraceHeader header;
    private long read;
    private boolean closed;

    /**
     * Reads the header from {@code in} (taken over: closed by {@link #close()}).
     *
     * @param source names the input in messages
     * @throws TraceFormatException if the header is bad
     * @throws IOException if reading fails
     */
    public TraceReader(InputStream in, String source) throws IOException {
        this(in, source, -1);
    }

    /**
     * Reads the header from {@code in} (taken over: closed by {@link #close()}), whose length is
     * known.
     *
     * @param source names the input in messages
     * @param length bytes in {@code in} from its current position, or {@code -1} if unknown
     * @throws TraceFormatException if the header is bad or announces more steps than
     *     {@code length} bytes can hold
     * @throws IOException if reading fails
     */
    public TraceReader(InputStream in, String source, long length) throws IOException {
        this.in = in;
        this.source = source;
        try {
            for (int i = 0; i < 4; i++) {
                if (u8("header") != TraceWriter.MAGIC[i]) {
                    throw fail(offset() - 1, "not a kvplace trace (bad magic)");
                }
            }
            int version = u8("header");
            if (version != TraceWriter.VERSION) {
                throw fail(offset() - 1, "unsupported trace version " + version + " (this reader knows "
                        + TraceWriter.VERSION + ")");
            }
            long at = offset();
            int unit = varint("header");
            int layers = varint("header");
            int prompt = varint("header");
            int decode = varint("header");
            int flags = varint("header");
            if ((flags & ~1) != 0) {
                throw fail(offset() - 1, "unknown header flags " + flags);
            }
            try {
                this.header = new TraceHeader(unit, layers, prompt, decode, (flags & 1) != 0);
            } catch (IllegalArgumentException e) {
                throw fail(at, "bad header: " + e.getMessage());
            }
            // Every step takes at least its count byte, then comes the end marker: a header announcing
            // more than the input holds is refused before a driver sets up (or replays) anything.
            if (length >= 0) {
                long left = length - offset();
                long need = header.steps() + END_BYTES;
                if (need > left) {
                    throw fail(at, "bad header: " + header.decodeTokens() + " decode tokens x " + header.layers()
                            + " layers = " + header.steps() + " steps need at least " + need
                            + " more bytes (one per step and the end marker) but the input has " + Math.max(0, left));
                }
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /**
     * Opens a trace file; a regular file's size bounds what its header may announce.
     *
     * @throws IOException if it cannot be read or its header is bad
     */
    public static TraceReader open(Path file) throws IOException {
        long length = Files.isRegularFile(file) ? Files.size(file) : -1;
        return new TraceReader(Files.newInputStream(file), file.toString(), length);
    }

    @Override
    public TraceHeader header() {
        return header;
    }

    @Override
    public boolean next(TraceStep into) throws IOException {
        if (closed) {
            throw new IllegalStateException("trace reader is closed");
        }
        if (read == header.steps()) {
            long at = offset();
            for (int i = 0; i < 4; i++) {
                if (u8("end marker") != TraceWriter.END[i]) {
                    throw fail(at, "bad end marker after the last step");
                }
            }
            if (fill() > 0) {
                throw fail(offset(), "trailing bytes after the end marker");
            }
            read++;
            return false;
        }
        if (read > header.steps()) {
            return false;
        }
        int n = header.promptTokens() + (int) (read / header.layers());
        int l = (int) (read % header.layers());
        int units = header.unitsBefore(n);
        String where = "step n=" + n + " l=" + l;
        into.reset(n, l, units);
        long at = offset();
        int count = varint(where);
        if (count > units) {
            throw fail(at, where + ": " + count + " units read but only " + units + " exist");
        }
        long[] bits = into.readBits();
        int id = -1;
        for (int k = 0; k < count; k++) {
            at = offset();
            int gap = varint(where);
            long next = (long) id + gap + 1;
            if (next >= units) {
                throw fail(at, where + ": unit " + next + " beyond the " + units + " units that exist");
            }
            id = (int) next;
            bits[id >>> 6] |= 1L << id;
        }
        into.recount();
        if (header.hasMass()) {
            for (int u = nextId(bits, 0, units); u >= 0; u = nextId(bits, u + 1, units)) {
                int b0 = u8(where);
                int b1 = u8(where);
                int b2 = u8(where);
                int b3 = u8(where);
                into.setMass(u, Float.intBitsToFloat(b0 | b1 << 8 | b2 << 16 | b3 << 24));
            }
        }
        read++;
        return true;
    }

    private static int nextId(long[] bits, int from, int units) {
        return org.kvplace.core.trace.Bits.nextSet(bits, from, units);
    }

    /** Byte offset of the next byte to read. */
    public long offset() {
        return base + pos;
    }

    private int fill() throws IOException {
        if (pos < lim) {
            return lim - pos;
        }
        base += lim;
        pos = 0;
        lim = 0;
        int r = in.read(buf, 0, buf.length);
        if (r > 0) {
            lim = r;
        }
        return Math.max(r, 0);
    }

    private int u8(String where) throws IOException {
        if (pos == lim && fill() == 0) {
            throw fail(offset(), "truncated in " + where + " (unexpected end of file)");
        }
        return buf[pos++] & 0xFF;
    }

    private static final int END_BYTES = 4;

    private int varint(String where) throws IOException {
        long at = offset();
        int v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = u8(where);
            if (shift == 28 && (b & 0xF8) != 0) {
                break; // the fifth byte may carry only bits 28..30: anything more overflows a non-negative int
            }
            v |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (shift > 0 && b == 0) {
                    break; // a trailing zero byte: not the canonical (shortest) encoding
                }
                return v;
            }
        }
        throw fail(at, "bad varint in " + where);
    }

    private TraceFormatException fail(long at, String what) {
        return new TraceFormatException(source + ": byte offset " + at + ": " + what);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            in.close();
        }
    }
}
