package org.kvplace.core.trace;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads the CSV trace format of the paper author's trace generator: the header
 * {@code n,l,read_kv}, then one row per step {@code n,l,"[ids]"}, where the list holds the token
 * ids the step read (a JSON list of integers, quoted by the CSV writer when it has a comma).
 * Step {@code (n, l)} reads those tokens, all below {@code n}, and writes token {@code n}.
 * Blank lines are ignored. Lines end with LF or CRLF, hold only printable ASCII and tabs, and are
 * at most {@link TextTraceImporter#DEFAULT_MAX_LINE_BYTES} bytes long; anything else fails naming the
 * file, the line and the column, before the line is read whole. Only regular files are read.
 *
 * <p>The file is scanned twice: once for its header (prompt = the first {@code n}, layers = the
 * largest {@code l} + 1), then streamed. Rows must come in trace order (n ascending, every layer
 * from 0); anything else fails with a {@link TraceFormatException} naming the file and the line.
 * Token granularity, no masses. Not thread-safe; {@code close()} is idempotent.
 */
public final class CsvTraceImporter implements AccessTrace {

    /** The header line that identifies the format. */
    public static final String HEADER = "n,l,read_kv";

    private final Path file;
    private final TraceLines in;
    private final TraceHeader header;
    private long stepIndex;
    private boolean closed;
    private int rowN;
    private int rowL;

    /**
     * Scans {@code file} for its header and opens it for streaming.
     *
     * @throws TraceFormatException naming the first bad line
     * @throws IOException if the file cannot be read
     */
    public CsvTraceImporter(Path file) throws IOException {
        this.file = file;
        int minN = Integer.MAX_VALUE, maxN = -1, maxL = -1;
        try (TraceLines r = lines(file)) {
            expectHeader(r);
            String line;
            while ((line = r.next()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                parse(line, r.lineNo(), null);
                minN = Math.min(minN, rowN);
                maxN = Math.max(maxN, rowN);
                maxL = Math.max(maxL, rowL);
            }
        }
        if (maxN < 0) {
            throw new TraceFormatException(file + ": no rows after the header '" + HEADER + "'");
        }
        if (minN < 1) {
            throw new TraceFormatException(file + ": the first decode position must be >= 1, got " + minN);
        }
        if (maxL >= 1 << 16) {
            throw new TraceFormatException(file + ": layer " + maxL + " too large");
        }
        this.header = new TraceHeader(1, maxL + 1, minN, maxN - minN + 1, false);
        this.in = lines(file);
        expectHeader(in);
    }

    private static TraceLines lines(Path file) throws IOException {
        return new TraceLines(file, TextTraceImporter.DEFAULT_MAX_LINE_BYTES, false, "CSV trace");
    }

    /** Whether {@code firstLine} (a file's first non-blank line) is this format's header. */
    public static boolean isHeader(String firstLine) {
        return firstLine != null && firstLine.strip().equals(HEADER);
    }

    private void expectHeader(TraceLines r) throws IOException {
        String line;
        while ((line = r.next()) != null) {
            if (line.isBlank()) {
                continue;
            }
            if (!isHeader(line)) {
                throw bad(r.lineNo(), "expected the header '" + HEADER + "', got '" + escape(line) + "'");
            }
            return;
        }
        throw new TraceFormatException(file + ": empty file, expected the header '" + HEADER + "'");
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
            long lineNo = in.lineNo();
            if (line.isBlank()) {
                continue;
            }
            if (stepIndex >= header.steps()) {
                throw bad(lineNo, "row beyond the last expected step");
            }
            int n0 = header.promptTokens() + (int) (stepIndex / header.layers());
            int l0 = (int) (stepIndex % header.layers());
            parse(line, lineNo, null);
            if (rowN != n0 || rowL != l0) {
                throw bad(lineNo, "expected step n=" + n0 + " l=" + l0 + ", got n=" + rowN + " l=" + rowL);
            }
            into.reset(n0, l0, n0);
            parse(line, lineNo, into);
            stepIndex++;
            return true;
        }
        if (stepIndex != header.steps()) {
            throw bad(in.lineNo(), "file ends after " + stepIndex + " of " + header.steps() + " steps");
        }
        return false;
    }

    // Parses n,l,"[ids]" into rowN, rowL; with a step, adds each id to it.
    private void parse(String line, long no, TraceStep step) throws TraceFormatException {
        int c1 = line.indexOf(',');
        int c2 = c1 < 0 ? -1 : line.indexOf(',', c1 + 1);
        if (c2 < 0) {
            throw bad(no, "expected n,l,\"[read ids]\"");
        }
        rowN = integer(line.substring(0, c1), no, "n");
        rowL = integer(line.substring(c1 + 1, c2), no, "l");
        if (rowN < 0 || rowL < 0) {
            throw bad(no, "n and l must be >= 0");
        }
        String rest = line.substring(c2 + 1).strip();
        boolean quoted = rest.length() >= 2 && rest.charAt(0) == '"' && rest.charAt(rest.length() - 1) == '"';
        if (quoted) {
            rest = rest.substring(1, rest.length() - 1).strip();
        }
        if (rest.length() < 2 || rest.charAt(0) != '[' || rest.charAt(rest.length() - 1) != ']') {
            throw bad(no, "expected a list [ids] after n,l");
        }
        if (!quoted && rest.indexOf(',') >= 0) {
            throw bad(no, "a list with commas must be quoted");
        }
        int close = rest.length() - 1;
        int i = 1;
        boolean wantId = true;
        int ids = 0;
        while (i < close) {
            char c = rest.charAt(i);
            if (c == ' ' || c == '\t') {
                i++;
                continue;
            }
            if (c == ',') {
                if (wantId) {
                    throw bad(no, "empty entry in the read id list");
                }
                wantId = true;
                i++;
                continue;
            }
            if (!wantId) {
                throw bad(no, "expected ',' between read ids, got '" + escape(String.valueOf(c))
                        + "'");
            }
            int j = i;
            long v = 0;
            while (j < close && rest.charAt(j) >= '0' && rest.charAt(j) <= '9') {
                v = v * 10 + (rest.charAt(j) - '0');
                if (v > Integer.MAX_VALUE) {
                    throw bad(no, "read id too large");
                }
                j++;
            }
            if (j == i) {
                throw bad(no, "bad character '" + escape(String.valueOf(c))
                        + "' in the read id list");
            }
            if (v >= rowN) {
                throw bad(no, "read id " + v + " is not below n=" + rowN);
            }
            if (step != null) {
                step.add((int) v);
            }
            ids++;
            wantId = false;
            i = j;
        }
        if (wantId && ids > 0) {
            throw bad(no, "trailing ',' in the read id list");
        }
    }

    private int integer(String s, long no, String field) throws TraceFormatException {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw bad(no, field + " is not an integer: '" + escape(s.strip()) + "'");
        }
    }

    // Printable ASCII as is, anything else as \xNN, at most 80 characters.
    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\x%02x", (int) c & 0xff));
            }
        }
        return s.length() > 80 ? b + "..." : b.toString();
    }

    private TraceFormatException bad(long no, String what) {
        return new TraceFormatException(file + ": line " + no + ": " + what);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            in.close();
        }
    }
}
