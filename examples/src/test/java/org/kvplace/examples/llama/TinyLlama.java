package org.kvplace.examples.llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A small valid Llama GGUF file for tests that must not depend on a downloaded model: 2 blocks,
 * dim 16, 2 query heads and 1 KV head of 8, a 16-piece vocabulary, random F32 weights. Settings
 * can be changed before {@link #bytes()} to make a specific bad file.
 */
public final class TinyLlama {

    public static final int DIM = 16;
    public static final int HEADS = 2;
    public static final int KV_HEADS = 1;
    public static final int HEAD_DIM = 8;
    public static final int FFN = 32;
    public static final int VOCAB = 16;
    public static final int CONTEXT = 64;

    /** The {@code llama.block_count} written (the file always holds 2 blocks of tensors). */
    public long blockCount = 2;
    /** RMS epsilon written. */
    public float rmsEps = 1e-5f;
    /** A weight of {@code blk.1.attn_k.weight} set to this value when not null. */
    public Float poisonAttnK;
    /** Name of an extra (unused) tensor, when not null. */
    public String extraTensorName;

    private final GgufTestWriter w = new GgufTestWriter(3);

    /** The file's bytes. */
    public byte[] bytes() {
        SplittableRandom rnd = new SplittableRandom(7);
        String[] pieces = new String[VOCAB];
        float[] scores = new float[VOCAB];
        pieces[0] = "<unk>";
        pieces[1] = "<s>";
        pieces[2] = "</s>";
        String[] words = {"\u2581a", "\u2581b", "\u2581c", "a", "b", "c", "d", "e", "\u2581", "x", "y", "z", "."};
        for (int i = 3; i < VOCAB; i++) {
            pieces[i] = words[i - 3];
            scores[i] = -i;
        }
        w.string("general.architecture", "llama")
                .u32("llama.context_length", CONTEXT)
                .u32("llama.embedding_length", DIM)
                .u32("llama.block_count", (int) blockCount)
                .u32("llama.feed_forward_length", FFN)
                .u32("llama.attention.head_count", HEADS)
                .u32("llama.attention.head_count_kv", KV_HEADS)
                .f32("llama.attention.layer_norm_rms_epsilon", rmsEps)
                .strings("tokenizer.ggml.tokens", pieces)
                .floats("tokenizer.ggml.scores", scores)
                .u32("tokenizer.ggml.bos_token_id", 1)
                .u32("tokenizer.ggml.eos_token_id", 2);
        w.tensorF32("token_embd.weight", new long[] {DIM, VOCAB}, random(rnd, DIM * VOCAB));
        for (int l = 0; l < 2; l++) {
            String b = "blk." + l + ".";
            w.tensorF32(b + "attn_norm.weight", new long[] {DIM}, ones(DIM));
            w.tensorF32(b + "attn_q.weight", new long[] {DIM, HEADS * HEAD_DIM}, random(rnd, DIM * HEADS * HEAD_DIM));
            float[] k = random(rnd, DIM * KV_HEADS * HEAD_DIM);
            if (l == 1 && poisonAttnK != null) {
                k[5] = poisonAttnK;
            }
            w.tensorF32(b + "attn_k.weight", new long[] {DIM, KV_HEADS * HEAD_DIM}, k);
            w.tensorF32(b + "attn_v.weight", new long[] {DIM, KV_HEADS * HEAD_DIM}, random(rnd, DIM * KV_HEADS * HEAD_DIM));
            w.tensorF32(b + "attn_output.weight", new long[] {HEADS * HEAD_DIM, DIM}, random(rnd, DIM * HEADS * HEAD_DIM));
            w.tensorF32(b + "ffn_norm.weight", new long[] {DIM}, ones(DIM));
            w.tensorF32(b + "ffn_gate.weight", new long[] {DIM, FFN}, random(rnd, DIM * FFN));
            w.tensorF32(b + "ffn_up.weight", new long[] {DIM, FFN}, random(rnd, DIM * FFN));
            w.tensorF32(b + "ffn_down.weight", new long[] {FFN, DIM}, random(rnd, DIM * FFN));
        }
        w.tensorF32("output_norm.weight", new long[] {DIM}, ones(DIM));
        if (extraTensorName != null) {
            w.tensorF32(extraTensorName, new long[] {4}, 1, 2, 3, 4);
        }
        return w.bytes();
    }

    /** Byte offset of metadata key {@code key} in the last {@link #bytes()}. */
    public long keyOffset(String key) {
        return w.keyOffsets.get(key);
    }

    /** Writes the file. */
    public Path write(Path dir, String name) throws IOException {
        return Files.write(dir.resolve(name), bytes());
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (0.3 * rnd.nextGaussian());
        }
        return a;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }
}
