package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyLlamaTest {

    @Test
    void shouldLoadAndDecodeTheTinyModel(@TempDir Path dir) throws Exception {
        try (LlamaModel m = LlamaModel.load(new TinyLlama().write(dir, "tiny.gguf"))) {
            assertEquals(2, m.config().layers());
            assertEquals(TinyLlama.VOCAB, m.config().vocabSize());
        }
    }
}
