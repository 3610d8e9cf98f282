package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded, reproducible fuzzing of the trace readers: valid binary and text traces are mutated
 * (bit flips, byte overwrites, truncation, deletion, insertion, duplication, huge varints and
 * numbers, NUL and non-ASCII bytes, joined lines) and read to the end. Every mutant must either
 * read as a valid trace or fail with a {@link TraceFormatException} whose message names the input
 * and holds only printable ASCII; anything else (another exception, an {@link OutOfMemoryError},
 * a hang) fails the test and names the case, which reruns alone with the same seed.
 *
 * <p>{@code -Dkvplace.fuzz.cases=N} sets the cases per format (default 300, a second or two);
 * {@code -Dkvplace.fuzz.seed=S} the seed (default {@code 0x13B}). Thousands of cases:
 * {@code ./mvnw -B -o verify -pl kvplace-core -Dtest=TraceFuzzTest -Dkvplace.fuzz.cases=5000}.
 */
class TraceFuzzTest {

    private static final long SEED = Long.getLong("kvplace.fuzz.seed", 0x13B);
    private static final int CASES = Integer.getInteger("kvplace.fuzz.cases", 300);
    /** Small enough that joined lines reach it, large enough for every line of the base traces. */
    private static final int MAX_LINE = 4096;

    private static final List<byte[]> BINARY = new ArrayList<>();
    private static final List<byte[]> TEXT = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void bases() throws IOException {
        BINARY.add(encode(new TraceGenerator(new GeneratorConfig(120, 24, 3, 1, 0.6, 4, 8, 0.5, 0.1, 7))));
        BINARY.add(encode(new TraceGenerator(new GeneratorConfig(256, 16, 2, 16, 0.5, 4, 8, 0.5, 0.1, 3))));
        BINARY.add(withMasses());
        TEXT.add(text(new TraceGenerator(new GeneratorConfig(60, 12, 2, 1, 0.6, 4, 8, 0.5, 0.1, 5)), true));
        TEXT.add(text(new TraceGenerator(new GeneratorConfig(30, 20, 4, 1, 0.3, 4, 8, 0.5, 0.1, 9)), false));
    }

    private static byte[] encode(AccessTrace t) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        TraceStep s = TraceStep.forHeader(t.header());
        try (TraceWriter w = new TraceWriter(bo, t.header())) {
            while (t.next(s)) {
                w.write(s);
            }
        }
        return bo.toByteArray();
    }

    private static byte[] withMasses() throws IOException {
        TraceHeader h = new TraceHeader(16, 2, 64, 8, true);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        TraceStep s = TraceStep.forHeader(h);
        try (TraceWriter w = new TraceWriter(bo, h)) {
            for (int n = 64; n < 72; n++) {
                for (int l = 0; l < 2; l++) {
                    int units = h.unitsBefore(n);
                    s.reset(n, l, units);
                    for (int u = (n + l) % 2; u < units; u += 2) {
                        s.add(u);
                        s.setMass(u, 1f / (u + 1));
                    }
                    w.write(s);
                }
            }
        }
        return bo.toByteArray();
    }

    /** The text form of a token trace: a comment, then per step its attention line and an MLP line. */
    private static byte[] text(AccessTrace t, boolean crlf) throws IOException {
        StringBuilder b = new StringBuilder("# n,l,s,[skipped],flag\n");
        TraceStep s = TraceStep.forHeader(t.header());
        String nl = crlf ? "\r\n" : "\n";
        while (t.next(s)) {
            b.append(s.position()).append(',').append(s.layer()).append(",0,[");
            String sep = "";
            for (int id = 0; id < s.position(); id++) {
                if (!s.contains(id)) {
                    b.append(sep).append(id);
                    sep = id % 2 == 0 ? " " : ", ";
                }
            }
            b.append("],").append(s.layer() % 2).append(nl);
            b.append(s.position()).append(',').append(s.layer()).append(",1,[],0").append(nl);
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    // ---- mutation ----------------------------------------------------------------------------------

    private static final int[] BIG = {Integer.MAX_VALUE, Integer.MAX_VALUE - 1, 1 << 31 >>> 1, 1 << 27, (1 << 27) + 1,
        65536, 65537, 0, 1, -1};

    private static byte[] varint(long v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            b.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        b.write((int) v);
        return b.toByteArray();
    }

    private static byte[] splice(byte[] a, int from, int to, byte[] insert) {
        byte[] out = new byte[a.length - (to - from) + insert.length];
        System.arraycopy(a, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(a, to, out, from + insert.length, a.length - to);
        return out;
    }

    /** One to four random mutations; {@code text} adds text-aware ones. */
    static byte[] mutate(byte[] base, SplittableRandom r, boolean text) {
        byte[] m = base.clone();
        int count = 1 + r.nextInt(4);
        for (int k = 0; k < count && m.length > 0; k++) {
            int at = r.nextInt(m.length);
            int op = r.nextInt(text ? 14 : 10);
            switch (op) {
                case 0 -> m[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> m[at] = (byte) r.nextInt(256);
                case 2 -> m[at] = (byte) (r.nextBoolean() ? 0xFF : 0x80);
                case 3 -> m = java.util.Arrays.copyOf(m, at); // truncate
                case 4 -> m = splice(m, at, Math.min(m.length, at + 1 + r.nextInt(32)), new byte[0]);
                case 5 -> {
                    byte[] ins = new byte[1 + r.nextInt(16)];
                    for (int i = 0; i < ins.length; i++) {
                        ins[i] = (byte) r.nextInt(256);
                    }
                    m = splice(m, at, at, ins);
                }
                case 6 -> {
                    int len = Math.min(m.length - at, 1 + r.nextInt(64));
                    m = splice(m, at, at, java.util.Arrays.copyOfRange(m, at, at + len));
                }
                case 7 -> {
                    // a header field (binary) or any place (text) gets an extreme varint
                    int pos = text ? at : 5 + r.nextInt(Math.max(1, Math.min(m.length, 15) - 5));
                    pos = Math.min(pos, m.length);
                    long v = BIG[r.nextInt(BIG.length)] & 0xFFFFFFFFL;
                    m = splice(m, pos, Math.min(m.length, pos + 1 + r.nextInt(5)), varint(v));
                }
                case 8 -> m = splice(m, m.length, m.length, new byte[] {(byte) r.nextInt(256)});
                case 9 -> m[at] = 0;
                case 10 -> {
                    // replace a run of digits by a huge number
                    int s = at;
                    while (s < m.length && (m[s] < '0' || m[s] > '9')) {
                        s++;
                    }
                    int e = s;
                    while (e < m.length && m[e] >= '0' && m[e] <= '9') {
                        e++;
                    }
                    String big = r.nextBoolean() ? Long.toString(r.nextLong() & Long.MAX_VALUE)
                            : Integer.toString(BIG[r.nextInt(BIG.length)]);
                    m = splice(m, s, e, big.getBytes(StandardCharsets.US_ASCII));
                }
                case 11 -> {
                    // join lines: drop newlines from here on, sometimes all of them
                    int limit = r.nextBoolean() ? Integer.MAX_VALUE : 1 + r.nextInt(8);
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    b.write(m, 0, at);
                    for (int i = at; i < m.length; i++) {
                        if (m[i] == '\n' && limit-- > 0) {
                            continue;
                        }
                        b.write(m[i]);
                    }
                    m = b.toByteArray();
                }
                case 12 -> m = splice(m, at, at, new String[] {"\u00e9", "\u00b5", "\r", "\t", "#", "[", "]", ",",
                    "\u0000", "\u001b[2J", "-", "+"}[r.nextInt(12)].getBytes(StandardCharsets.UTF_8));
                default -> {
                    // duplicate or drop a whole line
                    int s = at;
                    while (s > 0 && m[s - 1] != '\n') {
                        s--;
                    }
                    int e = at;
                    while (e < m.length && m[e] != '\n') {
                        e++;
                    }
                    e = Math.min(m.length, e + 1);
                    m = r.nextBoolean() ? splice(m, s, e, new byte[0])
                            : splice(m, s, s, java.util.Arrays.copyOfRange(m, s, e));
                }
            }
        }
        return m;
    }

    // ---- the runs ----------------------------------------------------------------------------------

    private static String hex(byte[] m) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(m.length, 48); i++) {
            b.append(String.format("%02x", m[i] & 0xFF));
        }
        return b + (m.length > 48 ? "... (" + m.length + " bytes)" : "");
    }

    private static int drain(AccessTrace t) throws IOException {
        TraceStep s = TraceStep.forHeader(t.header());
        int n = 0;
        while (t.next(s)) {
            n++;
        }
        return n;
    }

    private static void checkMessage(String what, TraceFormatException e, String source) {
        String m = e.getMessage();
        assertTrue(m != null && m.contains(source), what + ": message does not name " + source + ": " + m);
        BadInputTraceTest.assertPrintable(m);
    }

    @Test
    void binaryMutantsReadOrFailCleanly() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int valid = 0;
            int rejected = 0;
            for (int i = 0; i < CASES; i++) {
                SplittableRandom r = new SplittableRandom(SEED * 1_000_003L + i);
                byte[] m = mutate(BINARY.get(i % BINARY.size()), r, false);
                String name = "mutant-" + i + ".kvpt";
                String what = "binary case " + i + " (seed " + SEED + ", bytes " + hex(m) + ")";
                long length = r.nextInt(4) == 0 ? -1 : m.length; // sometimes as a stream of unknown length
                try (TraceReader t = new TraceReader(new ByteArrayInputStream(m), name, length)) {
                    drain(t);
                    valid++;
                } catch (TraceFormatException e) {
                    checkMessage(what, e, name);
                    rejected++;
                } catch (Throwable e) {
                    fail(what + " threw " + e, e);
                }
            }
            assertTrue(rejected > CASES / 2, "most mutants should be rejected: " + rejected + " of " + CASES);
            System.out.printf("TraceFuzzTest binary: %d cases (seed %d): %d valid, %d rejected%n", CASES, SEED, valid,
                    rejected);
        });
    }

    @Test
    void textMutantsReadOrFailCleanly() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            int valid = 0;
            int rejected = 0;
            for (int i = 0; i < CASES; i++) {
                SplittableRandom r = new SplittableRandom(SEED * 1_000_033L + i);
                byte[] m = mutate(TEXT.get(i % TEXT.size()), r, true);
                Path p = dir.resolve("mutant-" + i + ".txt");
                Files.write(p, m);
                String what = "text case " + i + " (seed " + SEED + ", bytes " + hex(m) + ")";
                try (TextTraceImporter t = new TextTraceImporter(p, MAX_LINE)) {
                    drain(t);
                    valid++;
                } catch (TraceFormatException e) {
                    checkMessage(what, e, p.toString());
                    rejected++;
                } catch (Throwable e) {
                    fail(what + " threw " + e, e);
                } finally {
                    Files.delete(p);
                }
            }
            assertTrue(rejected > CASES / 4, "many mutants should be rejected: " + rejected + " of " + CASES);
            System.out.printf("TraceFuzzTest text: %d cases (seed %d): %d valid, %d rejected%n", CASES, SEED, valid,
                    rejected);
        });
    }
}
