package org.kvplace.core.trace;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes the binary trace format, version 1.
 *
 * <pre>
 * header: "KVPT" (4 bytes), version (1 byte = 1), then unsigned LEB128 varints:
 *         unitTokens, layers, promptTokens, decodeTokens, flags (bit 0: masses present)
 * step:   varint count, then count varints: the first id, then each id minus the previous
 *         minus 1 (ids strictly ascending); with masses, count float32 little-endian
 * end:    "KVPE" (4 bytes)
 * </pre>
 *
 * Steps must come in trace order and every step of the header must be written before {@link
 * #close()}. A writer that fails part way is ended with {@link #abort()}, which throws nothing, so
 * that the failure that stopped the writing is the one reported. Owns its stream; not thread-safe;
 * {@code close()} and {@code abort()} are idempotent.
 */
public final class TraceWriter implements AutoCloseable {

    static final byte[] MAGIC = {'K', 'V', 'P', 'T'};
    static final byte[] END = {'K', 'V', 'P', 'E'};
    static final int VERSION = 1;

    private final OutputStream out;
    private final TraceHeader header;
    /** With {@link #create}: the temporary file written, and the file it becomes on a complete close. */
    private Path temp;
    private Path target;
    private long written;
    private long bytes;
    private boolean closed;

    /**
     * Starts a trace on {@code out} (taken over: closed by {@link #close()}).
     *
     * @throws IOException if writing the header fails
     */
    public TraceWriter(OutputStream out, TraceHeader header) throws IOException {
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.header = header;
        this.out.write(MAGIC);
        this.out.write(VERSION);
        bytes = 5;
        varint(header.unitTokens());
        varint(header.layers());
        varint(header.promptTokens());
        varint(header.decodeTokens());
        varint(header.hasMass() ? 1 : 0);
    }

    /**
     * Creates (or replaces) a trace file. The steps go to a temporary file in the same directory,
     * which a complete {@link #close()} moves over {@code file} in one atomic rename; an incomplete
     * close or {@link #abort()} deletes it, leaving {@code file} as it was.
     *
     * @throws IOException if the file cannot be written
     */
    public static TraceWriter create(Path file, TraceHeader header) throws IOException {
        // through a link, replace the file it names rather than the link
        Path target = Files.exists(file) ? file.toRealPath() : file;
        Path dir = target.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        TraceWriter w;
        try {
            w = new TraceWriter(Files.newOutputStream(temp), header);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        w.temp = temp;
        w.target = target;
        return w;
    }

    /** Bytes written so far. */
    public long bytesWritten() {
        return bytes;
    }

    /**
     * Appends the next step.
     *
     * @throws IllegalArgumentException if the step is not the next one in trace order or its
     *         unit count does not match the header
     * @throws IOException if writing fails
     */
    public void write(TraceStep step) throws IOException {
        if (closed) {
            throw new IllegalStateException("trace writer is closed");
        }
        if (written >= header.steps()) {
            throw new IllegalArgumentException("trace already has all " + header.steps() + " steps; got " + step);
        }
        int n = header.promptTokens() + (int) (written / header.layers());
        int l = (int) (written % header.layers());
        if (step.position() != n || step.layer() != l) {
            throw new IllegalArgumentException("expected step n=" + n + " l=" + l + ", got n=" + step.position()
                    + " l=" + step.layer());
        }
        if (step.unitCount() != header.unitsBefore(n)) {
            throw new IllegalArgumentException("step n=" + n + " l=" + l + ": unitCount " + step.unitCount()
                    + " but the header gives " + header.unitsBefore(n));
        }
        varint(step.readCount());
        long[] bits = step.readBits();
        int units = step.unitCount();
        int prev = -1;
        for (int i = Bits.nextSet(bits, 0, units); i >= 0; i = Bits.nextSet(bits, i + 1, units)) {
            varint(i - prev - 1);
            prev = i;
        }
        if (header.hasMass()) {
            for (int i = Bits.nextSet(bits, 0, units); i >= 0; i = Bits.nextSet(bits, i + 1, units)) {
                int f = Float.floatToRawIntBits(step.mass(i));
                out.write(f);
                out.write(f >>> 8);
                out.write(f >>> 16);
                out.write(f >>> 24);
                bytes += 4;
            }
        }
        written++;
    }

    private void varint(int v) throws IOException {
        while ((v & ~0x7F) != 0) {
            out.write((v & 0x7F) | 0x80);
            v >>>= 7;
            bytes++;
        }
        out.write(v);
        bytes++;
    }

    /**
     * Writes the end marker and closes the stream; with {@link #create}, moves the file into place.
     *
     * @throws IOException if steps are missing (the stream is then left without its end marker, and
     *         a file of {@link #create} is not written at all) or writing fails
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        if (written != header.steps()) {
            abort();
            throw new IOException("trace incomplete: " + written + " of " + header.steps() + " steps written");
        }
        closed = true;
        try {
            try (out) {
                out.write(END);
                bytes += 4;
            }
            if (target != null) {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException | RuntimeException e) {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
            throw e;
        }
    }

    /**
     * Ends an unfinished trace without an exception: closes the stream (its content is then no
     * valid trace) and, with {@link #create}, deletes the temporary file. Does nothing after
     * {@link #close()}.
     */
    public void abort() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            // abandoned: the content does not matter
        }
        if (temp != null) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // nothing more to do; the caller reports the failure that stopped the writing
            }
        }
    }
}
