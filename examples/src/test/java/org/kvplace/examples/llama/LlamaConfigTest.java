package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {

    @TempDir
    Path dir;

    private static GgufTestWriter llama(int version) {
        return new GgufTestWriter(version)
                .string("general.architecture", "llama")
                .u32("llama.context_length", 128)
                .u32("llama.embedding_length", 32)
                .u32("llama.block_count", 2)
                .u32("llama.feed_forward_length", 64)
                .u32("llama.attention.head_count", 4)
                .u32("llama.attention.head_count_kv", 2)
                .f32("llama.attention.layer_norm_rms_epsilon", 1e-6f)
                .tensorF32("token_embd.weight", new long[] {32, 3}, new float[96]);
    }

    @Test
    void shouldReadTheConfigWithDefaults() throws IOException {
        try (GgufFile f = GgufFile.open(llama(1).write(dir, "ok.gguf"))) {
            assertEquals(new LlamaConfig(32, 2, 4, 2, 8, 64, 3, 128, 1e-6f, 10000f), LlamaConfig.from(f));
        }
    }

    @Test
    void shouldNameTheMissingKeyAndFile() throws IOException {
        GgufTestWriter w = new GgufTestWriter(3).string("general.architecture", "llama")
                .u32("llama.attention.head_count", 4)
                .tensorF32("token_embd.weight", new long[] {32, 3}, new float[96]);
        Path p = w.write(dir, "missing.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> LlamaConfig.from(f));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("'llama.embedding_length'")
                    && e.getMessage().contains("offsets"), e.getMessage());
        }
    }

    @Test
    void shouldRejectOtherArchitecturesAndUnsupportedRotary() throws IOException {
        try (GgufFile f = GgufFile.open(new GgufTestWriter(3).string("general.architecture", "gpt2")
                .write(dir, "gpt2.gguf"))) {
            assertTrue(assertThrows(GgufFormatException.class, () -> LlamaConfig.from(f)).getMessage()
                    .contains("'gpt2'"));
        }
        try (GgufFile f = GgufFile.open(llama(3).u32("llama.rope.dimension_count", 4).write(dir, "rope.gguf"))) {
            assertTrue(assertThrows(GgufFormatException.class, () -> LlamaConfig.from(f)).getMessage()
                    .contains("llama.rope.dimension_count is 4"));
        }
        try (GgufFile f = GgufFile.open(llama(3).u32("llama.attention.head_count_kv", 3).write(dir, "gqa.gguf"))) {
            assertTrue(assertThrows(GgufFormatException.class, () -> LlamaConfig.from(f)).getMessage()
                    .contains("heads 4 is not a multiple of kvHeads 3"));
        }
    }
}
