package org.kvplace.core.trace;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The lines of a text trace file (the text and the CSV formats), bounded and checked byte by byte:
 * {@link #next()} returns a line of printable ASCII and tabs, {@code ""} for a blank line (and, where
 * comments are allowed, a {@code #} comment line, which may hold any byte), {@code null} at the end.
 * Lines end with LF or CRLF. A line longer than the limit, a carriage return inside a line or any
 * other byte fails with a {@link TraceFormatException} naming the file, the line and the column, so
 * that neither a file without newlines nor a binary file is ever read into memory whole.
 *
 * <p>Only regular files are opened (a directory, pipe or device fails at once: the importers read a
 * file twice). Not thread-safe.
 */
final class TraceLines implements AutoCloseable {

    private final Path file;
    private final int maxLineBytes;
    private final boolean comments;
    private final String what;
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private byte[] line = new byte[256];
    private long lineNo;

    /**
     * Opens {@code file}.
     *
     * @param maxLineBytes longest line accepted, in bytes (terminator excluded)
     * @param comments whether lines starting with {@code #} are comments
     * @param what what the file is, for messages ("text trace", "CSV trace")
     * @throws NoSuchFileException if the file does not exist
     * @throws IOException if it is not a regular file or cannot be opened (the message names it)
     */
    TraceLines(Path file, int maxLineBytes, boolean comments, String what) throws IOException {
        this.file = file;
        this.maxLineBytes = maxLineBytes;
        this.comments = comments;
        this.what = what;
        this.in = open(file, what);
    }

    /** The number of the line {@link #next()} returned last (1 for the first). */
    long lineNo() {
        return lineNo;
    }

    private static InputStream open(Path file, String what) throws IOException {
        if (Files.notExists(file)) {
            throw new NoSuchFileException(file.toString(), null, what + " not found");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new IOException(file + ": cannot read as a " + what + ": not a regular file (the file is read twice,"
                    + " so it cannot be a directory, a pipe or a device)");
        }
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (AccessDeniedException e) {
            throw new IOException(file + ": cannot open the " + what + ": permission denied", e);
        } catch (FileSystemException e) {
            String why = e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
            throw new IOException(file + ": cannot open the " + what + ": " + why, e);
        } catch (IOException e) {
            throw new IOException(file + ": cannot open the " + what + ": " + e.getMessage(), e);
        }
    }

    private TraceFormatException bad(String what) {
        return new TraceFormatException(file + ": line " + lineNo + ": " + what);
    }

    private int read() throws IOException {
        if (pos == lim) {
            int r;
            try {
                r = in.read(buf, 0, buf.length);
            } catch (IOException e) {
                throw new IOException(file + ": line " + lineNo + ": cannot read the " + what + ": " + e.getMessage(), e);
            }
            if (r <= 0) {
                return -1;
            }
            pos = 0;
            lim = r;
        }
        return buf[pos++] & 0xFF;
    }

    /**
     * The next line: its text, {@code ""} for a blank or comment line, {@code null} at the end.
     *
     * @throws TraceFormatException on a line too long or a byte not allowed
     * @throws IOException if the file cannot be read
     */
    String next() throws IOException {
        int b = read();
        if (b < 0) {
            return null;
        }
        lineNo++;
        int len = 0;
        long bytes = 0;
        boolean blank = true;
        boolean comment = false;
        for (; b >= 0 && b != '\n'; b = read()) {
            if (++bytes > maxLineBytes) {
                throw bad("line longer than " + maxLineBytes + " bytes (the limit for a line of a " + what
                        + "; a newline is missing or the file is not a " + what + ")");
            }
            if (blank && b != ' ' && b != '\t' && b != '\r') {
                blank = false;
                comment = comments && b == '#';
            }
            if (comment) {
                continue; // any byte may stand in a comment
            }
            if (b == '\r') {
                int c = read();
                if (c < 0 || c == '\n') {
                    break; // CRLF (or CR at the end of the file)
                }
                throw bad("carriage return (byte 0x0D) inside the line at column " + bytes);
            }
            if (b != '\t' && (b < 0x20 || b >= 0x7F)) {
                throw bad(String.format("byte 0x%02X at column %d: a %s may hold only printable ASCII and tabs%s", b,
                        bytes, comments ? "step line" : "line", comments ? " (other bytes are allowed only in # comments)"
                        : ""));
            }
            if (len == line.length) {
                line = Arrays.copyOf(line, (int) Math.min(maxLineBytes, 2L * line.length));
            }
            line[len++] = (byte) b;
        }
        return blank || comment ? "" : new String(line, 0, len, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
