package org.kvplace.core.trace;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads the plain-text trace format, one step per line: {@code n,l,s,[skipped ids],flag}.
 * {@code n} is the decode position, {@code l} the layer, {@code s} the sub-layer (0 attention,
 * 1 MLP), the bracketed list (ids separated by spaces or commas, possibly empty) holds the tokens
 * NOT read, and {@code flag} is an integer or {@code True}/{@code False} that is parsed and
 * ignored. An attention line at position {@code n} reads tokens {@code 0..n-1} minus the skipped ones and writes token
 * {@code n}; MLP lines read no KV and are skipped (the model's per-layer weight bytes already
 * cover the whole layer). Blank lines and lines starting with {@code #} are ignored.
 *
 * <p>The file is scanned twice: once to find the header (prompt = the first {@code n}, layers =
 * the largest {@code l} + 1), then streamed; so it must be a regular file (not a pipe or a
 * device). Attention lines must come in trace order (n ascending, every layer from 0); anything
 * else fails with a {@link TraceFormatException} naming the file and the line.
 *
 * <p><b>Bytes and lengths.</b> Lines end with LF or CRLF. A step line may hold only printable
 * ASCII and tabs: any other byte (a NUL, a control character, a byte of a UTF-8 sequence) fails at
 * once, naming the line, the column and the byte in hex. A comment line ({@code #} after optional
 * blanks) may hold any bytes, so comments can be written in UTF-8. Every line, comments included,
 * is at most {@link #DEFAULT_MAX_LINE_BYTES} bytes long (or the limit passed to the constructor);
 * a longer one fails when the limit is reached, so an endless line costs neither unbounded
 * memory nor unbounded time. The header must also make a valid {@link TraceHeader} (at most
 * {@link TraceHeader#MAX_UNIT_LAYERS} unit-layers), checked after the first scan, before
 * anything is sized by it.
 *
 * <p>Token granularity, no masses. Not thread-safe; {@code close()} is idempotent.
 */
public final class TextTraceImporter implements AccessTrace {

    /**
     * Longest line accepted by default, in bytes: 16 MiB, room for about two million skipped ids
     * of up to seven digits.
     */
    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 24;

    /** Longest piece of a line quoted in a message, in characters. */
    private static final int QUOTE_CHARS = 40;

    private final Path file;
    private final int maxLineBytes;
    private final TraceLines in;
    private final TraceHeader header;
    private long stepIndex;
    private boolean closed;
    private final int[] parsed = new int[4]; // n, l, s, flag

    /**
     * Scans {@code file} for its header and opens it for streaming, with lines of at most
     * {@link #DEFAULT_MAX_LINE_BYTES}.
     *
     * @throws TraceFormatException naming the file and the first bad line
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if the file is not a regular file or cannot be read (the message names it)
     */
    public TextTraceImporter(Path file) throws IOException {
        this(file, DEFAULT_MAX_LINE_BYTES);
    }

    /**
     * Scans {@code file} for its header and opens it for streaming.
     *
     * @param maxLineBytes longest line accepted, in bytes (terminator excluded), positive
     * @throws IllegalArgumentException if {@code maxLineBytes} is not positive
     * @throws TraceFormatException naming the file and the first bad line
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if the file is not a regular file or cannot be read (the message names it)
     */
    public TextTraceImporter(Path file, int maxLineBytes) throws IOException {
        if (maxLineBytes <= 0) {
            throw new IllegalArgumentException("maxLineBytes must be positive, got " + maxLineBytes);
        }
        this.file = file;
        this.maxLineBytes = maxLineBytes;
        int minN = Integer.MAX_VALUE, maxN = -1, maxL = -1;
        long minNLine = 0, maxNLine = 0, maxLLine = 0;
        try (TraceLines r = new TraceLines(file, maxLineBytes, true, "text trace")) {
            String line;
            while ((line = r.next()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                parseFields(line, r.lineNo(), null, 0);
                if (parsed[2] != 0) {
                    continue;
                }
                if (parsed[0] < minN) {
                    minN = parsed[0];
                    minNLine = r.lineNo();
                }
                if (parsed[0] > maxN) {
                    maxN = parsed[0];
                    maxNLine = r.lineNo();
                }
                if (parsed[1] > maxL) {
                    maxL = parsed[1];
                    maxLLine = r.lineNo();
                }
            }
        }
        if (maxN < 0) {
            throw new TraceFormatException(file + ": no attention lines (n,l,0,[...],flag)");
        }
        if (minN < 1) {
            throw bad(minNLine, "the first decode position must be >= 1, got " + minN);
        }
        try {
            this.header = new TraceHeader(1, maxL + 1, minN, maxN - minN + 1, false);
        } catch (IllegalArgumentException e) {
            throw new TraceFormatException(file + ": the attention lines span n=" + minN + " (line " + minNLine
                    + ") to n=" + maxN + " (line " + maxNLine + ") and l=0 to l=" + maxL + " (line " + maxLLine
                    + "): " + e.getMessage());
        }
        this.in = new TraceLines(file, maxLineBytes, true, "text trace");
    }


    @Override
    public TraceHeader header() {
        return header;
    }

    @Override
    public boolean next(TraceStep into) throws IOException {
        if (closed) {
            throw new IllegalStateException("importer is closed");
        }
        String line;
        while ((line = in.next()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            long lineNo = in.lineNo();
            int n0 = header.promptTokens() + (int) (stepIndex / header.layers());
            int l0 = (int) (stepIndex % header.layers());
            // parse n, l, s first; the skip list is applied to `into` only for attention lines
            parseFields(line, lineNo, null, 0);
            if (parsed[2] != 0) {
                continue; // an MLP line, also after the last attention step
            }
            if (stepIndex >= header.steps()) {
                throw bad(lineNo, "step beyond the last expected one");
            }
            if (parsed[0] != n0 || parsed[1] != l0) {
                throw bad(lineNo, "expected step n=" + n0 + " l=" + l0 + ", got n=" + parsed[0] + " l=" + parsed[1]);
            }
            into.reset(n0, l0, n0);
            into.addRange(0, n0);
            parseFields(line, lineNo, into, n0);
            stepIndex++;
            return true;
        }
        if (stepIndex != header.steps()) {
            throw bad(in.lineNo(), "file ends after " + stepIndex + " of " + header.steps() + " attention steps");
        }
        return false;
    }

    // Parses n,l,s,[ids],flag into `parsed`; with a step, clears each skipped id in it.
    private void parseFields(String line, long no, TraceStep step, int n) throws TraceFormatException {
        int open = line.indexOf('[');
        int close = line.indexOf(']');
        if (open < 0 || close < open) {
            throw bad(no, "expected n,l,s,[skipped ids],flag, got " + quote(line));
        }
        String[] head = line.substring(0, open).split(",", -1);
        String tail = line.substring(close + 1).strip();
        if (head.length != 4 || !head[3].isBlank() || !tail.startsWith(",")) {
            throw bad(no, "expected n,l,s,[skipped ids],flag, got " + quote(line));
        }
        parsed[0] = integer(head[0], no, "n");
        parsed[1] = integer(head[1], no, "l");
        parsed[2] = integer(head[2], no, "s");
        parsed[3] = flag(tail.substring(1), no);
        if (parsed[2] != 0 && parsed[2] != 1) {
            throw bad(no, "s must be 0 (attention) or 1 (MLP), got " + parsed[2]);
        }
        if (parsed[0] < 0 || parsed[1] < 0) {
            throw bad(no, "n and l must be >= 0, got n=" + parsed[0] + " l=" + parsed[1]);
        }
        if (step == null) {
            return;
        }
        int i = open + 1;
        while (i < close) {
            char c = line.charAt(i);
            if (c == ' ' || c == ',' || c == '\t') {
                i++;
                continue;
            }
            int j = i;
            long v = 0;
            while (j < close && line.charAt(j) >= '0' && line.charAt(j) <= '9') {
                v = v * 10 + (line.charAt(j) - '0');
                if (v > Integer.MAX_VALUE) {
                    throw bad(no, "skipped id " + quote(line.substring(i, Math.min(close, i + QUOTE_CHARS)))
                            + " too large");
                }
                j++;
            }
            if (j == i) {
                throw bad(no, "bad character " + quote(String.valueOf(c)) + " at column " + (i + 1)
                        + " in the skipped id list");
            }
            if (v >= n) {
                throw bad(no, "skipped id " + v + " is not below n=" + n);
            }
            step.remove((int) v);
            i = j;
        }
    }

    // The flag: an integer, or True/False as Python writes booleans.
    private int flag(String s, long no) throws TraceFormatException {
        String t = s.strip();
        if (t.equals("True")) {
            return 1;
        }
        if (t.equals("False")) {
            return 0;
        }
        return integer(t, no, "flag");
    }

    private int integer(String s, long no, String field) throws TraceFormatException {
        String t = s.strip();
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw bad(no, field + " is not an integer: " + quote(t));
        }
    }

    private TraceFormatException bad(long no, String what) {
        return new TraceFormatException(file + ": line " + no + ": " + what);
    }

    /**
     * A piece of a line for a message: quoted, cut to {@value #QUOTE_CHARS} characters, tabs and any
     * other non-printable character escaped (step lines hold only printable ASCII and tabs).
     */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        int end = Math.min(s.length(), QUOTE_CHARS);
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c >= 0x7F) {
                b.append(String.format("\\x%02X", (int) c));
            } else if (c == '\'' || c == '\\') {
                b.append('\\').append(c);
            } else {
                b.append(c);
            }
        }
        b.append('\'');
        if (s.length() > end) {
            b.append("... (").append(s.length()).append(" characters)");
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            in.close();
        }
    }

}
