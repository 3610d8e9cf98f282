package org.kvplace.core.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the plain-text trace format, one step per line: {@code n,l,s,[skipped ids],flag}.
 * {@code n} is the decode position, {@code l} the layer, {@code s} the sub-layer (0 attention,
 * 1 MLP), the bracketed list (ids separated by spaces or commas, possibly empty) holds the tokens
 * NOT read, and {@code flag} is an integer that is parsed and ignored. An attention line at
 * position {@code n} reads tokens {@code 0..n-1} minus the skipped ones and writes token
 * {@code n}; MLP lines read no KV and are skipped (the model's per-layer weight bytes already
 * cover the whole layer). Blank lines and lines starting with {@code #} are ignored.
 *
 * <p>The file is scanned twice: once to find the header (prompt = the first {@code n}, layers =
 * the largest {@code l} + 1), then streamed. Attention lines must come in trace order (n
 * ascending, every layer from 0); anything else fails with a {@link TraceFormatException}
 * naming the line. Token granularity, no masses. Not thread-safe; {@code close()} is idempotent.
 */
public final class TextTraceImporter implements AccessTrace {

    private final Path file;
    private final BufferedReader in;
    private final TraceHeader header;
    private long lineNo;
    private long stepIndex;
    private boolean closed;
    private final int[] parsed = new int[4]; // n, l, s, flag

    /**
     * Scans {@code file} for its header and opens it for streaming.
     *
     * @throws TraceFormatException naming the first bad line
     * @throws IOException if the file cannot be read
     */
    public TextTraceImporter(Path file) throws IOException {
        this.file = file;
        int minN = Integer.MAX_VALUE, maxN = -1, maxL = -1;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            String line;
            long no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (skip(line)) {
                    continue;
                }
                parseFields(line, no, null, 0);
                if (parsed[2] != 0) {
                    continue;
                }
                minN = Math.min(minN, parsed[0]);
                maxN = Math.max(maxN, parsed[0]);
                maxL = Math.max(maxL, parsed[1]);
            }
        }
        if (maxN < 0) {
            throw new TraceFormatException(file + ": no attention lines (n,l,0,[...],flag)");
        }
        if (minN < 1) {
            throw new TraceFormatException(file + ": the first decode position must be >= 1, got " + minN);
        }
        this.header = new TraceHeader(1, maxL + 1, minN, maxN - minN + 1, false);
        this.in = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
    }

    private static boolean skip(String line) {
        String t = line.strip();
        return t.isEmpty() || t.charAt(0) == '#';
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
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (skip(line)) {
                continue;
            }
            int n0 = header.promptTokens() + (int) (stepIndex / header.layers());
            int l0 = (int) (stepIndex % header.layers());
            if (stepIndex >= header.steps()) {
                throw bad(lineNo, "step beyond the last expected one");
            }
            // parse n, l, s first; the skip list is applied to `into` only for attention lines
            parseFields(line, lineNo, null, 0);
            if (parsed[2] != 0) {
                continue;
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
            throw bad(lineNo, "file ends after " + stepIndex + " of " + header.steps() + " attention steps");
        }
        return false;
    }

    // Parses n,l,s,[ids],flag into `parsed`; with a step, clears each skipped id in it.
    private void parseFields(String line, long no, TraceStep step, int n) throws TraceFormatException {
        int open = line.indexOf('[');
        int close = line.indexOf(']');
        if (open < 0 || close < open) {
            throw bad(no, "expected n,l,s,[skipped ids],flag");
        }
        String[] head = line.substring(0, open).split(",", -1);
        String tail = line.substring(close + 1).strip();
        if (head.length != 4 || !head[3].isBlank() || !tail.startsWith(",")) {
            throw bad(no, "expected n,l,s,[skipped ids],flag");
        }
        parsed[0] = integer(head[0], no, "n");
        parsed[1] = integer(head[1], no, "l");
        parsed[2] = integer(head[2], no, "s");
        parsed[3] = integer(tail.substring(1), no, "flag");
        if (parsed[2] != 0 && parsed[2] != 1) {
            throw bad(no, "s must be 0 (attention) or 1 (MLP), got " + parsed[2]);
        }
        if (parsed[0] < 0 || parsed[1] < 0) {
            throw bad(no, "n and l must be >= 0");
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
            while (j < close && Character.isDigit(line.charAt(j))) {
                v = v * 10 + (line.charAt(j) - '0');
                if (v > Integer.MAX_VALUE) {
                    throw bad(no, "skipped id too large");
                }
                j++;
            }
            if (j == i) {
                throw bad(no, "bad character '" + c + "' in the skipped id list");
            }
            if (v >= n) {
                throw bad(no, "skipped id " + v + " is not below n=" + n);
            }
            step.remove((int) v);
            i = j;
        }
    }

    private int integer(String s, long no, String field) throws TraceFormatException {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw bad(no, field + " is not an integer: '" + s.strip() + "'");
        }
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
