package org.kvplace.examples.llama;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * A Llama GGUF with random weights and the layer shapes of a real model, for measuring decode
 * speed at realistic sizes (the weights mean nothing; the text it generates is noise).
 *
 * <p>Weights are uniform in {@code [-a, a]} with {@code a = sqrt(3 / cols)}, so that a row times a
 * unit-variance input has unit variance and the activations stay finite over any number of layers;
 * the token embedding is uniform in {@code [-1, 1]}, norm weights are 1. Q8_0 blocks get a random
 * scale near {@code a / 127} and uniform int8 quants. The file has a separate {@code output.weight}
 * (untied, as in TinyLlama) and a minimal valid SentencePiece vocabulary: {@code <unk>},
 * {@code <s>}, {@code </s>}, the 256 byte tokens, {@code U+2581}, the printable ASCII characters
 * alone and after {@code U+2581}, and filler pieces {@code w<i>} up to the vocabulary size.
 *
 * @param config the shape (dimensions, heads, context, epsilon, rotary base)
 * @param type element type of the matrices (norm weights are always F32)
 * @param seed seed of the weights
 */
public record RandomLlama(LlamaConfig config, GgmlType type, long seed) {

    /** Pieces before the filler (3 special, 256 bytes, the space piece, 94 characters twice): the smallest vocabulary. */
    public static final int FIXED_PIECES = 3 + 256 + 1 + 2 * 94;

    /** The layer shapes of TinyLlama 1.1B: dim 2048, 22 layers, 32 query / 4 KV heads of 64, FFN 5632. */
    public static LlamaConfig tinyLlamaShape(int contextLength) {
        return new LlamaConfig(2048, 22, 32, 4, 64, 5632, 32000, contextLength, 1e-5f, 10000f);
    }

    /**
     * Validates the combination.
     *
     * @throws IllegalArgumentException if {@code heads * headDim != dim} (this loader's layout), a row
     *     is not a whole number of {@code type}'s blocks, or the vocabulary is smaller than the fixed
     *     pieces
     */
    public RandomLlama {
        if (config.heads() * config.headDim() != config.dim()) {
            throw new IllegalArgumentException("heads " + config.heads() + " x headDim " + config.headDim()
                    + " must equal dim " + config.dim());
        }
        for (int cols : new int[] {config.dim(), config.ffnDim()}) {
            if (cols % type.blockElements() != 0) {
                throw new IllegalArgumentException("row length " + cols + " is not a multiple of the " + type
                        + " block of " + type.blockElements());
            }
        }
        if (config.vocabSize() < FIXED_PIECES) {
            throw new IllegalArgumentException("vocabulary " + config.vocabSize() + " is smaller than the "
                    + FIXED_PIECES + " fixed pieces");
        }
    }

    /** Parameters: every element of every tensor. */
    public long parameters() {
        LlamaConfig c = config;
        long perLayer = 2L * c.dim() + (long) c.dim() * (2L * c.qWidth() + 2L * c.kvWidth()) + 3L * c.dim() * c.ffnDim();
        return c.layers() * perLayer + 2L * c.vocabSize() * c.dim() + c.dim();
    }

    /** The GGUF writer for this model (sizes known before anything is written: {@link GgufWriter#fileBytes()}). */
    public GgufWriter writer() {
        LlamaConfig c = config;
        GgufWriter w = new GgufWriter()
                .string("general.architecture", "llama")
                .string("general.name", "random " + c.dim() + "x" + c.layers() + " " + type)
                .u32("general.alignment", GgufWriter.ALIGNMENT)
                .u32("llama.context_length", c.contextLength())
                .u32("llama.embedding_length", c.dim())
                .u32("llama.block_count", c.layers())
                .u32("llama.feed_forward_length", c.ffnDim())
                .u32("llama.attention.head_count", c.heads())
                .u32("llama.attention.head_count_kv", c.kvHeads())
                .u32("llama.rope.dimension_count", c.headDim())
                .f32("llama.attention.layer_norm_rms_epsilon", c.rmsEps())
                .f32("llama.rope.freq_base", c.ropeTheta())
                .string("tokenizer.ggml.model", "llama")
                .u32("tokenizer.ggml.bos_token_id", 1)
                .u32("tokenizer.ggml.eos_token_id", 2);
        vocabulary(w, c.vocabSize());
        int tensor = 0;
        w.tensor("token_embd.weight", type, dims(c.dim(), c.vocabSize()), source(c.dim(), 1f, tensor++));
        for (int l = 0; l < c.layers(); l++) {
            String b = "blk." + l + ".";
            w.tensor(b + "attn_norm.weight", GgmlType.F32, new long[] {c.dim()}, RandomLlama::ones);
            w.tensor(b + "attn_q.weight", type, dims(c.dim(), c.qWidth()), matrix(c.dim(), tensor++));
            w.tensor(b + "attn_k.weight", type, dims(c.dim(), c.kvWidth()), matrix(c.dim(), tensor++));
            w.tensor(b + "attn_v.weight", type, dims(c.dim(), c.kvWidth()), matrix(c.dim(), tensor++));
            w.tensor(b + "attn_output.weight", type, dims(c.qWidth(), c.dim()), matrix(c.qWidth(), tensor++));
            w.tensor(b + "ffn_norm.weight", GgmlType.F32, new long[] {c.dim()}, RandomLlama::ones);
            w.tensor(b + "ffn_gate.weight", type, dims(c.dim(), c.ffnDim()), matrix(c.dim(), tensor++));
            w.tensor(b + "ffn_up.weight", type, dims(c.dim(), c.ffnDim()), matrix(c.dim(), tensor++));
            w.tensor(b + "ffn_down.weight", type, dims(c.ffnDim(), c.dim()), matrix(c.ffnDim(), tensor++));
        }
        w.tensor("output_norm.weight", GgmlType.F32, new long[] {c.dim()}, RandomLlama::ones);
        w.tensor("output.weight", type, dims(c.dim(), c.vocabSize()), matrix(c.dim(), tensor));
        return w;
    }

    /**
     * Writes the model to {@code out} (not closed).
     *
     * @throws IOException if writing fails
     */
    public void write(OutputStream out) throws IOException {
        writer().write(out);
    }

    private static long[] dims(int cols, int rows) {
        return new long[] {cols, rows};
    }

    private static void ones(long row, ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.putFloat(1f);
        }
    }

    private GgufWriter.TensorSource matrix(int cols, int tensor) {
        return source(cols, (float) Math.sqrt(3.0 / cols), tensor);
    }

    /** Rows of uniform values in {@code [-amplitude, amplitude]}, each row from its own seed (tensor, row). */
    private GgufWriter.TensorSource source(int cols, float amplitude, int tensor) {
        long base = new SplittableRandom(seed).split().nextLong() ^ ((long) tensor << 32);
        return (row, dst) -> {
            SplittableRandom r = new SplittableRandom(base + row * 0x9E3779B97F4A7C15L);
            switch (type) {
                case F32 -> {
                    for (int i = 0; i < cols; i++) {
                        dst.putFloat(uniform(r) * amplitude);
                    }
                }
                case F16 -> {
                    for (int i = 0; i < cols; i++) {
                        dst.putShort(Float.floatToFloat16(uniform(r) * amplitude));
                    }
                }
                case Q8_0 -> {
                    for (int b = 0; b < cols / 32; b++) {
                        float scale = amplitude / 127f * (0.75f + 0.5f * (float) r.nextDouble());
                        dst.putShort(Float.floatToFloat16(scale));
                        for (int i = 0; i < 32; i += 8) {
                            dst.putLong(r.nextLong());
                        }
                    }
                }
            }
        };
    }

    private static float uniform(SplittableRandom r) {
        return (float) (2 * r.nextDouble() - 1);
    }

    private static void vocabulary(GgufWriter w, int size) {
        String[] pieces = new String[size];
        float[] scores = new float[size];
        int[] types = new int[size];
        pieces[0] = "<unk>";
        types[0] = 2;
        pieces[1] = "<s>";
        types[1] = 3;
        pieces[2] = "</s>";
        types[2] = 3;
        int id = 3;
        for (int b = 0; b < 256; b++, id++) {
            pieces[id] = String.format("<0x%02X>", b);
            types[id] = 6;
        }
        pieces[id] = Tokenizer.SPACE;
        types[id++] = 1;
        for (char ch = '!'; ch <= '~'; ch++, id++) {
            pieces[id] = String.valueOf(ch);
            types[id] = 1;
        }
        for (char ch = '!'; ch <= '~'; ch++, id++) {
            pieces[id] = Tokenizer.SPACE + ch;
            types[id] = 1;
        }
        for (int i = 0; id < size; i++, id++) {
            pieces[id] = "w" + i;
            types[id] = 1;
        }
        for (int i = 0; i < size; i++) {
            scores[i] = -i;
        }
        w.strings("tokenizer.ggml.tokens", pieces).floats("tokenizer.ggml.scores", scores)
                .ints("tokenizer.ggml.token_type", types);
    }
}
