package org.kvplace.core.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Helpers over traces. Stateless. */
public final class Traces {

    private Traces() {}

    /**
     * Copies every step of {@code from} into a binary trace file, written to a temporary file and
     * moved into place when complete: a failed copy leaves no file (and an old one as it was).
     *
     * @return bytes written
     * @throws IOException if reading or writing fails
     */
    public static long writeFile(AccessTrace from, Path file) throws IOException {
        return copy(from, TraceWriter.create(file, from.header()));
    }

    /**
     * Copies every step of {@code from} as a binary trace to {@code out}, which is closed.
     *
     * @return bytes written
     * @throws IOException if reading or writing fails, with the failure that stopped the copy
     */
    public static long write(AccessTrace from, OutputStream out) throws IOException {
        return copy(from, new TraceWriter(out, from.header()));
    }

    private static long copy(AccessTrace from, TraceWriter w) throws IOException {
        TraceStep step = TraceStep.forHeader(from.header());
        try {
            while (from.next(step)) {
                w.write(step);
            }
        } catch (IOException | RuntimeException | Error e) {
            w.abort(); // an unfinished trace; the failure to report is the one that stopped it
            throw e;
        }
        w.close();
        return w.bytesWritten();
    }

    /**
     * Reads the whole trace of {@code source} into memory, for drivers that replay it several
     * times or on several threads at once (the annealing search): the returned source's readers
     * copy its steps out of memory, generating or decoding nothing. A generator's source ({@link
     * TraceGenerator#source}) is generated on one thread per processor, its layers side by side.
     * When holding the trace could take more than {@code maxBytes} (judged from its header before
     * anything is read: a bit per unit of every step, plus four bytes per unit where steps carry
     * attention masses, plus 80 bytes per step), returns {@code source} itself.
     *
     * @param maxBytes the most memory the copy may take
     * @throws TraceFormatException if the trace holds another number of steps than its header declares
     * @throws IOException if the trace cannot be read
     */
    public static TraceSource inMemory(TraceSource source, long maxBytes) throws IOException {
        if (source instanceof TraceGenerator.Source g) {
            // a generated trace: its layers generated side by side, one thread per processor
            if (MemoryTrace.bytesAtMost(g.cfg().header()) > maxBytes) {
                return source;
            }
            return MemoryTrace.generate(g.cfg(), Runtime.getRuntime().availableProcessors());
        }
        try (AccessTrace t = source.open()) {
            if (MemoryTrace.bytesAtMost(t.header()) > maxBytes) {
                return source;
            }
            return MemoryTrace.read(t);
        }
    }

    /**
     * Opens a text trace in either format it recognises from the first non-blank line: the
     * paper author's CSV (header {@code n,l,read_kv}, {@link CsvTraceImporter}) or the
     * {@code n,l,s,[skipped ids],flag} lines ({@link TextTraceImporter}).
     *
     * @throws TraceFormatException naming the first bad line
     * @throws IOException if the file cannot be read
     */
    public static AccessTrace openText(Path file) throws IOException {
        String first = null;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    first = line;
                    break;
                }
            }
        }
        return CsvTraceImporter.isHeader(first) ? new CsvTraceImporter(file) : new TextTraceImporter(file);
    }
}
