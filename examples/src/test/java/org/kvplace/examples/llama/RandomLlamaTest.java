package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;

/** A small random model written by {@link RandomLlama} loads with {@link LlamaModel#load} and decodes. */
class RandomLlamaTest {

    private static final LlamaConfig SMALL = new LlamaConfig(64, 2, 4, 2, 16, 96, 600, 64, 1e-5f, 10000f);

    @TempDir
    Path dir;

    private Path write(GgmlType type, long seed, String name) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(p)) {
            new RandomLlama(SMALL, type, seed).write(out);
        }
        return p;
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void shouldLoadWithTheShapeAndTypeItWasGivenAndDecodeFiniteLogits(GgmlType type) throws IOException {
        Path p = write(type, 7, "m.gguf");
        assertEquals(new RandomLlama(SMALL, type, 7).writer().fileBytes(), Files.size(p));
        try (LlamaModel m = LlamaModel.load(p)) {
            assertEquals(SMALL, m.config());
            assertFalse(m.tiedOutput());
            assertEquals(type, m.file().tensor("blk.1.ffn_down.weight").type());
            assertEquals(type, m.file().tensor("token_embd.weight").type());
            assertEquals(GgmlType.F32, m.file().tensor("blk.0.attn_norm.weight").type());
            assertEquals(SMALL.vocabSize(), m.tokenizer().vocabSize());
            try (KvPlace kv = KvPlace.builder().cache(CacheConfig.defaults().builder(SMALL, 40))
                    .queryHeads(SMALL.heads()).policy("static").build(); KvSequence seq = kv.newSequence();
                    LlamaDecoder d = new LlamaDecoder(m, seq, null)) {
                d.fillRandom(20, 3);
                assertEquals(20, d.position());
                int token = 1;
                for (int i = 0; i < 20; i++) {
                    float[] logits = d.forward(token); // throws if anything comes out NaN or infinite
                    float max = Float.NEGATIVE_INFINITY;
                    float min = Float.POSITIVE_INFINITY;
                    for (float f : logits) {
                        max = Math.max(max, f);
                        min = Math.min(min, f);
                    }
                    assertTrue(max - min > 0.1f && max < 100 && min > -100, "logits range " + min + ".." + max);
                    token = Sampler.argmax(logits);
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.fillRandom(1, 0));
                assertTrue(e.getMessage().contains("[0, 0]"), e.getMessage());
            }
        }
    }

    @Test
    void shouldEncodeAndDecodeTextWithItsMinimalVocabulary() throws IOException {
        try (LlamaModel m = LlamaModel.load(write(GgmlType.F16, 1, "m.gguf"))) {
            Tokenizer t = m.tokenizer();
            int[] ids = t.encode("Hello, world 42!", true, false);
            assertEquals(t.bos(), ids[0]);
            assertEquals("Hello, world 42!", t.decode(ids));
        }
    }

    @Test
    void shouldWriteTheSameBytesForTheSameSeedAndOtherWeightsForAnother() throws IOException {
        byte[] a = Files.readAllBytes(write(GgmlType.Q8_0, 5, "a.gguf"));
        byte[] b = Files.readAllBytes(write(GgmlType.Q8_0, 5, "b.gguf"));
        byte[] c = Files.readAllBytes(write(GgmlType.Q8_0, 6, "c.gguf"));
        assertArrayEquals(a, b);
        assertEquals(a.length, c.length);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void shouldHaveTheParametersOfTinyLlama() {
        RandomLlama tiny = new RandomLlama(RandomLlama.tinyLlamaShape(2048), GgmlType.Q8_0, 1);
        assertEquals(1_100_048_384L, tiny.parameters()); // TinyLlama 1.1B's count
        assertThrows(IllegalArgumentException.class, () -> new RandomLlama(
                new LlamaConfig(64, 1, 4, 2, 8, 96, 600, 64, 1e-5f, 10000f), GgmlType.F16, 1)); // 4 x 8 != 64
        assertThrows(IllegalArgumentException.class, () -> new RandomLlama(
                new LlamaConfig(48, 1, 4, 2, 12, 96, 600, 64, 1e-5f, 10000f), GgmlType.Q8_0, 1)); // 48 % 32 != 0
    }
}
