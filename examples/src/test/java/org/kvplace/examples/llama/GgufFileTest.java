package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufFileTest {

    @TempDir
    Path dir;

    private static GgufTestWriter sample(int version) {
        byte[] quants = new byte[64];
        for (int i = 0; i < quants.length; i++) {
            quants[i] = (byte) (i - 32);
        }
        return new GgufTestWriter(version)
                .string("general.architecture", "llama")
                .u32("llama.block_count", 5)
                .f32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .strings("tokenizer.ggml.tokens", "<unk>", "a", "é")
                .floats("tokenizer.ggml.scores", 0f, -1.5f, 2.25f)
                .ints("tokenizer.ggml.token_type", 2, 1, 1)
                .tensorF32("m32", new long[] {3, 2}, 1f, 2f, 3f, 4f, 5f, 6f)
                .tensorF16("v16", new long[] {4}, 0.5f, -1f, 65504f, 0.099975586f)
                .tensorQ8("q8", new long[] {32, 2}, new float[] {0.5f, 0.25f}, quants);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void shouldReadMetadataAndTensorsOfEachVersion(int version) throws IOException {
        GgufTestWriter w = sample(version);
        Path p = w.write(dir, "v" + version + ".gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(version, f.version());
            assertEquals("llama", f.requireString("general.architecture"));
            assertEquals(5, f.requireInt("llama.block_count"));
            assertEquals(1e-5f, f.requireFloat("llama.attention.layer_norm_rms_epsilon"));
            assertArrayEquals(new String[] {"<unk>", "a", "é"}, f.requireArray("tokenizer.ggml.tokens", String[].class));
            assertArrayEquals(new float[] {0f, -1.5f, 2.25f}, f.requireArray("tokenizer.ggml.scores", float[].class));
            assertArrayEquals(new int[] {2, 1, 1}, f.requireArray("tokenizer.ggml.token_type", int[].class));
            assertEquals(3, f.tensors().size());

            GgufTensor m32 = f.tensor("m32");
            assertEquals(GgmlType.F32, m32.type());
            assertArrayEquals(new long[] {3, 2}, m32.dims());
            assertEquals((long) w.dataOffsets.get("m32"), m32.fileOffset());
            Matrix m = Matrix.of(m32);
            assertEquals(2, m.rows());
            assertEquals(3, m.cols());
            assertArrayEquals(new float[] {1f, 2f, 3f, 4f, 5f, 6f}, m.toFloats());
            float[] out = new float[2];
            m.matvec(new float[] {1f, 0f, -1f}, out);
            assertArrayEquals(new float[] {-2f, -2f}, out);

            GgufTensor v16 = f.tensor("v16");
            assertEquals(GgmlType.F16, v16.type());
            assertArrayEquals(new float[] {0.5f, -1f, 65504f, 0.099975586f}, Matrix.of(v16).toFloats());

            GgufTensor q8 = f.tensor("q8");
            assertEquals(GgmlType.Q8_0, q8.type());
            assertEquals(68, q8.data().byteSize());
            Matrix q = Matrix.of(q8);
            float[] row1 = new float[32];
            q.row(1, row1);
            for (int i = 0; i < 32; i++) {
                assertEquals(0.25f * i, row1[i], "q8 row 1 element " + i);
            }
            float[] ones = new float[32];
            Arrays.fill(ones, 1f);
            // Row 0: 0.5 * sum(-32..-1) = -264; row 1: 0.25 * sum(0..31) = 124.
            q.matvec(ones, out);
            assertArrayEquals(new float[] {-264f, 124f}, out);
        }
    }

    @Test
    void shouldRejectWrongMagic() throws IOException {
        GgufTestWriter w = sample(3);
        w.magic = 0x46554746;
        Path p = w.write(dir, "magic.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p));
        assertMentions(e, p.toString(), "magic", "offset 0");
    }

    @Test
    void shouldRejectUnsupportedVersion() throws IOException {
        Path p = new GgufTestWriter(4).u32("x", 1).write(dir, "v4.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p));
        assertMentions(e, p.toString(), "version 4", "offset 4");
    }

    @Test
    void shouldRejectUnknownTensorType() throws IOException {
        GgufTestWriter w = sample(3).tensor("q4", 2, new long[] {32}, new byte[18]);
        Path p = w.write(dir, "type.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p));
        assertMentions(e, p.toString(), "'q4'", "offset " + w.infoOffsets.get("q4"), "Q4_0");
    }

    @Test
    void shouldRejectTensorBeyondFileEnd() throws IOException {
        GgufTestWriter w = sample(1);
        byte[] all = w.bytes();
        Path p = dir.resolve("short.gguf");
        Files.write(p, Arrays.copyOf(all, all.length - 1));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p));
        assertMentions(e, p.toString(), "'q8'", "offset " + w.dataOffsets.get("q8"), "beyond the file end");
    }

    @Test
    void shouldRejectATensorOffsetThatIsNotAMultipleOfTheAlignment() throws IOException {
        GgufTestWriter w = sample(3).claimOffset("q8", 4);
        Path p = w.write(dir, "misaligned.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p));
        assertMentions(e, p.toString(), "'q8'", "offset " + w.infoOffsets.get("q8"), "data offset 4",
                "alignment 32");
    }

    @Test
    void shouldRejectTensorsWhoseDataOverlap() throws IOException {
        GgufTestWriter w = sample(3).claimOffset("q8", 0); // the first tensor's data starts at 0 too
        Path p = w.write(dir, "overlap.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p));
        assertMentions(e, p.toString(), "'m32'", "'q8'", "overlap");
    }

    @Test
    void shouldRejectTruncatedMetadata() throws IOException {
        GgufTestWriter w = sample(3);
        byte[] all = w.bytes();
        // Inside the u32 value: 8 (length) + 17 (key) + 4 (type) + 2 bytes of the value.
        long cut = w.keyOffsets.get("llama.block_count") + 8 + 17 + 4 + 2;
        Path p = dir.resolve("cut.gguf");
        Files.write(p, Arrays.copyOf(all, (int) cut));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p));
        assertMentions(e, p.toString(), "truncated", "llama.block_count");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void shouldRejectEveryTruncationWithAFormatException(int version) throws IOException {
        byte[] all = sample(version).bytes();
        for (int cut = 0; cut < all.length; cut++) {
            Path p = dir.resolve("cut" + cut + ".gguf");
            Files.write(p, Arrays.copyOf(all, cut));
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close(),
                    "file cut at " + cut + " of " + all.length + " bytes");
            assertMentions(e, p.toString(), "offset");
            Files.delete(p);
        }
    }

    @Test
    void shouldRejectMissingRequiredKeyAndTensor() throws IOException {
        Path p = sample(3).write(dir, "nokey.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.requireInt("llama.context_length"));
            assertMentions(e, p.toString(), "'llama.context_length'", "offsets");
            GgufFormatException t = assertThrows(GgufFormatException.class, () -> f.tensor("output.weight"));
            assertMentions(t, p.toString(), "'output.weight'", "offset");
            GgufFormatException wrong = assertThrows(GgufFormatException.class,
                    () -> f.requireInt("general.architecture"));
            assertMentions(wrong, "'general.architecture'", "String");
        }
    }

    @Test
    void shouldFailAfterClose() throws IOException {
        Path p = sample(3).write(dir, "closed.gguf");
        GgufFile f = GgufFile.open(p);
        Matrix m = Matrix.of(f.tensor("m32"));
        f.close();
        f.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> m.toFloats());
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention '" + part + "'");
        }
    }

    /** A v3 header with one metadata key whose value is an array, followed by {@code body}. */
    private Path rawArrayFile(String name, java.util.function.Consumer<java.nio.ByteBuffer> body) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(1);
        byte[] key = "deep.key".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        b.putLong(key.length).put(key).putInt(9);
        body.accept(b);
        Path p = dir.resolve(name);
        Files.write(p, Arrays.copyOf(b.array(), b.position()));
        return p;
    }

    @Test
    void shouldRejectArraysNestedTooDeepWithKeyAndOffset() throws IOException {
        Path p = rawArrayFile("deep.gguf", b -> {
            for (int i = 0; i < 50; i++) {
                b.putInt(9).putLong(1); // an array holding one array, fifty levels down
            }
            b.putInt(4).putLong(0);
        });
        var e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("deep.key") && e.getMessage().contains("nests arrays")
                && e.getMessage().contains("offset"), e.getMessage());
    }

    @Test
    void shouldRejectAnArrayLengthBeyondTheFileBeforeAllocating() throws IOException {
        Path p = rawArrayFile("huge.gguf", b -> b.putInt(8).putLong(Integer.MAX_VALUE - 16L));
        var e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("deep.key")
                && e.getMessage().contains(String.valueOf(Integer.MAX_VALUE - 16L)), e.getMessage());
    }
}
