package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Converts stories260K to F16 and Q8_0 GGUF v3 files with the test writer and decodes them. */
class QuantizedModelTest {

    @TempDir
    Path dir;

    private Path convert(Path source, boolean q8) throws IOException {
        GgufTestWriter w = new GgufTestWriter(3);
        try (GgufFile f = GgufFile.open(source)) {
            for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
                Object v = e.getValue();
                switch (v) {
                    case String s -> w.string(e.getKey(), s);
                    case Long l -> w.u32(e.getKey(), Math.toIntExact(l));
                    case Float x -> w.f32(e.getKey(), x);
                    case String[] a -> w.strings(e.getKey(), a);
                    case float[] a -> w.floats(e.getKey(), a);
                    case int[] a -> w.ints(e.getKey(), a);
                    default -> throw new AssertionError("unexpected metadata " + e.getKey() + ": " + v.getClass());
                }
            }
            for (GgufTensor t : f.tensors().values()) {
                float[] all = Matrix.of(t).toFloats();
                if (q8 && t.dims().length == 2 && t.dims()[0] % 32 == 0) {
                    float[] scales = new float[all.length / 32];
                    byte[] quants = new byte[all.length];
                    for (int b = 0; b < scales.length; b++) {
                        float amax = 0f;
                        for (int i = 0; i < 32; i++) {
                            amax = Math.max(amax, Math.abs(all[b * 32 + i]));
                        }
                        float scale = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
                        scales[b] = scale;
                        for (int i = 0; i < 32; i++) {
                            quants[b * 32 + i] = (byte) (scale == 0 ? 0 : Math.round(all[b * 32 + i] / scale));
                        }
                    }
                    w.tensorQ8(t.name(), t.dims(), scales, quants);
                } else {
                    w.tensorF16(t.name(), t.dims(), all);
                }
            }
        }
        return w.write(dir, q8 ? "q8.gguf" : "f16.gguf");
    }

    private static String greedyText(Path model, int tokens) throws IOException {
        try (LlamaModel m = LlamaModel.load(model)) {
            int[] t = LlamaGreedyTest.greedy(m, tokens, 0, CacheConfig.defaults());
            return m.tokenizer().decode(LlamaGreedyTest.prepend(m.tokenizer().bos(), t));
        }
    }

    @Test
    void shouldDecodeTheKnownStoryFromF16Weights() throws IOException {
        Path f16 = convert(TestModels.stories260K(), false);
        try (GgufFile f = GgufFile.open(f16)) {
            assertEquals(GgmlType.F16, f.tensor("blk.0.attn_q.weight").type());
        }
        String text = greedyText(f16, 40);
        assertTrue(text.startsWith(LlamaGreedyTest.EXPECTED_START), text);
    }

    @Test
    void shouldDecodeTheKnownStoryFromQ8Weights() throws IOException {
        Path q8 = convert(TestModels.stories260K(), true);
        try (GgufFile f = GgufFile.open(q8)) {
            assertEquals(GgmlType.Q8_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F16, f.tensor("blk.0.ffn_down.weight").type()); // rows of 172: not whole blocks
        }
        String text = greedyText(q8, 40);
        assertTrue(text.startsWith(LlamaGreedyTest.EXPECTED_START), text);
    }
}
