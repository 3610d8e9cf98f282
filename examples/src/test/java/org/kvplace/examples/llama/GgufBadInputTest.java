package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;

/** The GGUF half of the bad-input catalogue (docs/bad-input.md, items 3, 4 and 16). */
class GgufBadInputTest {

    @TempDir
    Path dir;

    private GgufFormatException loadFails(Path p) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(GgufFormatException.class, () -> LlamaModel.load(p).close()));
    }

    private static void assertPrintable(String message) {
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            assertTrue(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0), "unprintable U+"
                    + Integer.toHexString(c) + " in: " + message);
        }
    }

    @Test
    void item3_shouldCheckTheBlockCountAgainstTheTensorsBeforeAllocating() throws IOException {
        for (long count : new long[] {100_000_000L, Integer.MAX_VALUE, 3}) {
            TinyLlama t = new TinyLlama();
            t.blockCount = count;
            Path p = t.write(dir, "blocks-" + count + ".gguf");
            GgufFormatException e = loadFails(p);
            assertTrue(e.getMessage().contains(p + ": llama.block_count at offset " + t.keyOffset("llama.block_count")
                    + " is " + count), e.getMessage());
        }
    }

    @Test
    void item4_shouldEscapeAndCutNamesFromTheFile() throws IOException {
        TinyLlama t = new TinyLlama();
        t.extraTensorName = "\u001b[2J\u001b]0;owned\u0007" + "x".repeat(1300);
        byte[] bytes = t.bytes();
        // make the extra tensor's type unsupported (type id 99) so that its name is printed
        byte[] name = t.extraTensorName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int at = indexOf(bytes, name) + name.length + 4 + 8; // after the name: u32 dims, one u64 dim
        bytes[at] = 99;
        Path p = Files.write(dir.resolve("escape.gguf"), bytes);
        String m = loadFails(p).getMessage();
        assertPrintable(m);
        assertTrue(m.contains("'\\x1b[2J\\x1b]0;owned\\x07xxx") && m.contains("(1314 characters)"), m);
        assertTrue(m.length() < 400, m.length() + " characters: " + m);
    }

    @Test
    void item16_shouldNotSayAtOffsetTwice() throws IOException {
        // an array whose count claims more elements than the file holds
        byte[] bytes = new TinyLlama().bytes();
        TinyLlama t = new TinyLlama();
        t.bytes();
        long key = t.keyOffset("tokenizer.ggml.tokens");
        int countAt = (int) key + 8 + "tokenizer.ggml.tokens".length() + 4 + 4; // key, type, element type
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(countAt, 20_000L);
        String m = loadFails(Files.write(dir.resolve("array.gguf"), bytes)).getMessage();
        assertEquals(m.indexOf("at offset"), m.lastIndexOf("at offset"), m);
        assertTrue(m.contains("tokenizer.ggml.tokens") && m.contains("20000 elements"), m);
    }

    @Test
    void item16_shouldRejectAnInfiniteEpsilonAndNonFiniteNormWeights() throws IOException {
        TinyLlama t = new TinyLlama();
        t.rmsEps = Float.POSITIVE_INFINITY;
        String m = loadFails(t.write(dir, "eps.gguf")).getMessage();
        assertTrue(m.contains("llama.attention.layer_norm_rms_epsilon at offset") && m.contains("Infinity"), m);
    }

    @Test
    void item16_shouldNameTheTensorThatMakesTheKeysNaN() throws IOException {
        TinyLlama t = new TinyLlama();
        t.poisonAttnK = Float.POSITIVE_INFINITY;
        Path p = t.write(dir, "inf.gguf");
        try (LlamaModel m = LlamaModel.load(p);
                TieredKvCache cache = CacheConfig.defaults().build(m.config(), 8);
                Sequence seq = cache.newSequence();
                LlamaDecoder d = new LlamaDecoder(m, seq, PageSelection.ALL)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> DecodeLoop.run(d,
                    m.tokenizer(), new int[] {1}, 4, new Sampler(TinyLlama.VOCAB, 0f, 1f, 1), false, null));
            assertTrue(e.getMessage().contains(p + ": tensor 'blk.1.attn_k.weight' holds a non-finite weight"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("k[0]"), e.getMessage());
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
