package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.examples.llama.CacheConfig;
import org.kvplace.examples.llama.DecodeLoop;
import org.kvplace.examples.llama.GgufFile;
import org.kvplace.examples.llama.GgufFormatException;
import org.kvplace.examples.llama.LlamaConfig;
import org.kvplace.examples.llama.LlamaDecoder;
import org.kvplace.examples.llama.LlamaModel;
import org.kvplace.examples.llama.Sampler;
import org.kvplace.examples.llama.TinyLlama;

/**
 * Mutated GGUF files, loaded and decoded in-process and (every {@link #COMMAND_EVERY}th case)
 * through {@code kvplace decode}. Every outcome must be a valid run or a documented exception
 * ({@link GgufFormatException} or another {@link IOException} from loading; an {@link
 * IllegalStateException} naming the file for non-finite weights met while decoding, or the
 * tokenizer's documented {@link IllegalStateException} for a prompt its vocabulary cannot encode) whose message
 * has no unprintable character; no {@link Error} such as {@link OutOfMemoryError}, no case longer
 * than {@link #CASE_SECONDS}, and from the command no stack trace and an exit status of 0, 1 or 2.
 *
 * <p>Seeded and reproducible: {@code -Dkvplace.fuzz.seed=S} (default 20261201) and {@code
 * -Dkvplace.fuzz.cases=N} (default 300 in the build; thousands on demand, e.g.
 * {@code ./mvnw -B -o verify -pl examples -am -Dtest=GgufFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dkvplace.fuzz.cases=5000}). A failure names the case, whose file can be rebuilt from the seed.
 */
class GgufFuzzTest {

    static final long SEED = Long.getLong("kvplace.fuzz.seed", 20261201L);
    static final int CASES = Integer.getInteger("kvplace.fuzz.cases", 300);
    static final int COMMAND_EVERY = 8;
    static final int CASE_SECONDS = 10;

    /** Values that break sizes and counts: zero, one, sign bits, the int and long limits. */
    private static final long[] INTERESTING = {0, 1, 2, 3, 7, 31, 32, 255, 256, 4096, 65535, 65536, 1L << 24,
        100_000_000L, Integer.MAX_VALUE, Integer.MAX_VALUE - 1, 1L << 31, 0xFFFF_FFFFL, 1L << 32, Long.MAX_VALUE,
        Long.MIN_VALUE, -1L, -2L};
    private static final float[] FLOATS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
        Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, 1e-30f};

    @TempDir
    static Path dir;
    private static byte[] base;
    private static TinyLlama layout;
    /** Where the tensor data begins: metadata and tensor infos lie before it. */
    private static int dataStart;
    private static ExecutorService worker;

    @BeforeAll
    static void setUp() throws IOException {
        layout = new TinyLlama();
        base = layout.bytes();
        try (GgufFile f = GgufFile.open(Files.write(dir.resolve("base.gguf"), base))) {
            dataStart = (int) f.tensors().values().stream().mapToLong(t -> t.fileOffset()).min().orElseThrow();
        }
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gguf-fuzz");
            t.setDaemon(true); // a hung case must not keep the test JVM alive
            return t;
        });
    }

    @AfterAll
    static void tearDown() {
        worker.shutdownNow();
    }

    /** Case {@code i}'s file: the base file with one to three seeded mutations. */
    static byte[] mutant(long seed, int i) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + i);
        byte[] b = base.clone();
        int header = dataStart;
        int mutations = 1 + rnd.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            b = mutate(b, rnd, header);
        }
        return b;
    }

    private static byte[] mutate(byte[] b, SplittableRandom rnd, int dataStart) {
        if (b.length < 64) {
            return b; // truncated to almost nothing already
        }
        int header = Math.min(dataStart, b.length - 16);
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int kind = rnd.nextInt(9);
        switch (kind) {
            case 0 -> { // flip bits in the header
                for (int k = 0, n = 1 + rnd.nextInt(8); k < n; k++) {
                    b[rnd.nextInt(header)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> { // random bytes anywhere
                for (int k = 0, n = 1 + rnd.nextInt(16); k < n; k++) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
            }
            case 2 -> { // an interesting u32 in the header
                int at = rnd.nextInt(Math.max(1, header - 4));
                le.putInt(at, (int) INTERESTING[rnd.nextInt(INTERESTING.length)]);
            }
            case 3 -> { // an interesting u64 in the header
                int at = rnd.nextInt(Math.max(1, header - 8));
                le.putLong(at, INTERESTING[rnd.nextInt(INTERESTING.length)]);
            }
            case 4 -> { // an interesting value in a known metadata field
                String[] keys = {"llama.context_length", "llama.embedding_length", "llama.block_count",
                    "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
                    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"};
                String key = keys[rnd.nextInt(keys.length)];
                int at = (int) layout.keyOffset(key) + 8 + key.length() + 4;
                if (at + 4 <= b.length) {
                    le.putInt(at, (int) INTERESTING[rnd.nextInt(INTERESTING.length)]);
                }
            }
            case 5 -> { // a special float in the weights or the epsilon
                String key = "llama.attention.layer_norm_rms_epsilon";
                int eps = (int) layout.keyOffset(key) + 8 + key.length() + 4;
                if (rnd.nextBoolean() && eps + 4 <= b.length) {
                    le.putFloat(eps, FLOATS[rnd.nextInt(FLOATS.length)]);
                } else {
                    int at = header + rnd.nextInt((b.length - header) / 4) * 4;
                    le.putFloat(Math.min(at, b.length - 4), FLOATS[rnd.nextInt(FLOATS.length)]);
                }
            }
            case 6 -> { // truncate
                return Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            case 7 -> { // cut a piece out of the header
                int from = rnd.nextInt(header);
                int len = 1 + rnd.nextInt(Math.min(64, b.length - from));
                byte[] c = new byte[b.length - len];
                System.arraycopy(b, 0, c, 0, from);
                System.arraycopy(b, from + len, c, from, b.length - from - len);
                return c;
            }
            default -> { // insert bytes into the header
                int at = rnd.nextInt(header);
                int len = 1 + rnd.nextInt(16);
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at);
                for (int k = 0; k < len; k++) {
                    c[at + k] = (byte) rnd.nextInt(256);
                }
                System.arraycopy(b, at, c, at + len, b.length - at);
                return c;
            }
        }
        return b;
    }

    /** What one case ended in, for the summary. */
    private static String outcome(Path p) throws Exception {
        try (LlamaModel m = LlamaModel.load(p)) {
            LlamaConfig c = m.config();
            int tokens = Math.min(6, c.contextLength());
            try (TieredKvCache cache = CacheConfig.defaults().build(c, tokens); Sequence seq = cache.newSequence();
                    LlamaDecoder d = new LlamaDecoder(m, seq, PageSelection.ALL)) {
                int[] prompt;
                try {
                    prompt = m.tokenizer().encode("a bc", true, false);
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().contains("has no byte token"), e.getMessage());
                    assertPrintable(e.getMessage());
                    return "IllegalStateException (prompt not encodable)";
                }
                if (prompt.length > tokens) {
                    prompt = Arrays.copyOf(prompt, tokens);
                }
                DecodeLoop.run(d, m.tokenizer(), prompt, tokens - prompt.length + 1,
                        new Sampler(c.vocabSize(), 0.8f, 0.9f, 3), false, (prev, next) -> m.tokenizer().pieceBytes(prev, next));
            }
            return "valid run";
        } catch (GgufFormatException e) {
            checkMessage(e, p);
            return "GgufFormatException";
        } catch (IOException e) {
            checkMessage(e, p);
            return e.getClass().getSimpleName();
        } catch (IllegalStateException e) {
            checkMessage(e, p);
            assertTrue(e.getMessage().contains("not finite") || e.getMessage().contains("non-finite")
                    || e.getMessage().contains("overflowed"), e.getMessage());
            return "IllegalStateException (non-finite)";
        }
    }

    private static void checkMessage(Exception e, Path p) {
        String m = e.getMessage();
        assertTrue(m != null && m.contains(p.toString()), "names the file: " + m);
        assertPrintable(m);
    }

    static void assertPrintable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                continue;
            }
            assertFalse(c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || Character.getType(c) == Character.FORMAT
                    || Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) && !(Character.isLowSurrogate(c) && i > 0
                    && Character.isHighSurrogate(s.charAt(i - 1))),
                    "unprintable U+" + Integer.toHexString(c) + " at " + i + " in: " + s);
        }
    }

    @Test
    void shouldEndEveryMutantInAValidRunOrADocumentedException() throws Exception {
        Map<String, Integer> outcomes = new TreeMap<>();
        Path p = dir.resolve("mutant.gguf");
        for (int i = 0; i < CASES; i++) {
            Files.write(p, mutant(SEED, i));
            final int k = i;
            Future<String> f = worker.submit(() -> outcome(p));
            String o;
            try {
                o = f.get(CASE_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                throw new AssertionError("case " + k + " (seed " + SEED + ") ran over " + CASE_SECONDS + " s");
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable t = e.getCause();
                throw new AssertionError("case " + k + " (seed " + SEED + ") ended in " + t, t);
            }
            outcomes.merge(o, 1, Integer::sum);

            if (i % COMMAND_EVERY == 0) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                Future<Integer> c = worker.submit(() -> Main.run(new String[] {"decode", "--model", p.toString(),
                    "--tokens", "4", "--prompt", "ab"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8)));
                int rc;
                try {
                    rc = c.get(CASE_SECONDS, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    c.cancel(true);
                    throw new AssertionError("command on case " + k + " (seed " + SEED + ") ran over " + CASE_SECONDS
                            + " s");
                }
                String text = err.toString(StandardCharsets.UTF_8);
                assertTrue(rc == 0 || rc == 1 || rc == 2, "case " + k + ": exit " + rc + "\n" + text);
                assertFalse(text.contains("\tat ") || text.contains("Exception in thread")
                        || text.contains("stacktrace=true"), "case " + k + ": a stack trace or an unexpected"
                        + " exception:\n" + text);
                assertPrintable(text.replace("\r", ""));
            }
        }
        System.out.println("GGUF fuzz, seed " + SEED + ", " + CASES + " cases: " + outcomes);
        assertEquals(CASES, outcomes.values().stream().mapToInt(Integer::intValue).sum());
        assertTrue(outcomes.size() > 1, "the mutations reach more than one outcome: " + outcomes);
    }

    @Test
    void shouldBuildTheSameMutantFromTheSameSeed() {
        assertTrue(Arrays.equals(mutant(7, 3), mutant(7, 3)));
        assertFalse(Arrays.equals(mutant(7, 3), mutant(7, 4)) && Arrays.equals(mutant(7, 4), mutant(7, 5)));
        if (base.length < 1000) {
            fail("the base model is too small to mutate: " + base.length);
        }
    }
}
