package org.kvplace.examples.llama;

/**
 * Hyperparameters of a Llama-architecture model.
 *
 * @param dim embedding width
 * @param layers transformer blocks
 * @param heads query heads
 * @param kvHeads key/value heads (a divisor of {@code heads}; grouped-query attention)
 * @param headDim elements per head (even, for rotary pairs)
 * @param ffnDim hidden width of the SwiGLU feed-forward
 * @param vocabSize vocabulary size
 * @param contextLength most positions the model was trained for
 * @param rmsEps RMSNorm epsilon
 * @param ropeTheta rotary base frequency
 */
public record LlamaConfig(int dim, int layers, int heads, int kvHeads, int headDim, int ffnDim, int vocabSize,
        int contextLength, float rmsEps, float ropeTheta) {

    /** Validates the configuration; messages name the bad value. */
    public LlamaConfig {
        positive("dim", dim);
        positive("layers", layers);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("ffnDim", ffnDim);
        positive("vocabSize", vocabSize);
        positive("contextLength", contextLength);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " is not a multiple of kvHeads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim " + headDim + " is odd; rotary embeddings rotate pairs");
        }
        if (!(rmsEps > 0) || !(ropeTheta > 0) || !Float.isFinite(rmsEps) || !Float.isFinite(ropeTheta)) {
            throw new IllegalArgumentException("rmsEps " + rmsEps + " and ropeTheta " + ropeTheta
                    + " must be positive and finite");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    private static void finitePositive(GgufFile f, String key) throws GgufFormatException {
        float v = f.requireFloat(key);
        if (!(v > 0) || !Float.isFinite(v)) {
            throw f.error(key + " at offset " + f.keyOffset(key) + " is " + v + "; it must be positive and finite");
        }
    }

    /** Tensors each transformer block has. */
    static final String[] BLOCK_TENSORS = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
        "ffn_gate", "ffn_up", "ffn_down"};

    /**
     * Checks {@code llama.block_count} against the tensors present before anything is sized by it:
     * a corrupt count must not allocate per-layer arrays of 10^8 entries.
     */
    static void checkBlocks(GgufFile f) throws GgufFormatException {
        int blocks = f.requireInt("llama.block_count");
        if (blocks <= 0) {
            return; // the constructor names it
        }
        if ((long) blocks * BLOCK_TENSORS.length > f.tensors().size()) {
            throw f.error("llama.block_count at offset " + f.keyOffset("llama.block_count") + " is " + blocks
                    + " but the file has " + f.tensors().size() + " tensors; " + blocks + " blocks need "
                    + (long) blocks * BLOCK_TENSORS.length + " (" + BLOCK_TENSORS.length + " per block)");
        }
        for (String t : BLOCK_TENSORS) {
            String last = "blk." + (blocks - 1) + "." + t + ".weight";
            if (f.tensorOrNull(last) == null) {
                throw f.error("llama.block_count at offset " + f.keyOffset("llama.block_count") + " is " + blocks
                        + " but tensor '" + last + "' of the last block is missing");
            }
        }
    }

    /** Elements of one token's query over all heads: {@code heads * headDim}. */
    public int qWidth() {
        return heads * headDim;
    }

    /** Elements of one token's key (or value) over all KV heads: {@code kvHeads * headDim}. */
    public int kvWidth() {
        return kvHeads * headDim;
    }

    /**
     * Reads the {@code llama.*} keys of a GGUF file.
     *
     * @throws GgufFormatException if the architecture is not {@code llama}, a required key is missing,
     *     or the values are inconsistent
     */
    public static LlamaConfig from(GgufFile f) throws GgufFormatException {
        String arch = f.requireString("general.architecture");
        if (!arch.equals("llama")) {
            throw f.error("general.architecture is " + Printable.name(arch) + "; only 'llama' is supported");
        }
        int dim = f.requireInt("llama.embedding_length");
        int heads = f.requireInt("llama.attention.head_count");
        int kvHeads = f.intOr("llama.attention.head_count_kv", heads);
        int headDim = heads > 0 && dim % heads == 0 ? dim / heads : -1;
        headDim = f.intOr("llama.attention.key_length", headDim);
        int ropeDims = f.intOr("llama.rope.dimension_count", headDim);
        if (ropeDims != headDim) {
            throw f.error("llama.rope.dimension_count is " + ropeDims + " but heads have " + headDim
                    + " dimensions; partial rotary embeddings are not supported");
        }
        if (f.has("llama.rope.scaling.type") && !f.requireString("llama.rope.scaling.type").equals("none")) {
            throw f.error("llama.rope.scaling.type " + Printable.name(f.requireString("llama.rope.scaling.type"))
                    + " is not supported");
        }
        if (f.tensorOrNull("rope_freqs.weight") != null) {
            throw f.error("tensor 'rope_freqs.weight' at offset " + f.tensorOrNull("rope_freqs.weight").fileOffset()
                    + ": rotary frequency factors are not supported");
        }
        finitePositive(f, "llama.attention.layer_norm_rms_epsilon");
        if (f.has("llama.rope.freq_base")) {
            finitePositive(f, "llama.rope.freq_base");
        }
        GgufTensor embd = f.tensor("token_embd.weight");
        int vocab = embd.dims().length == 2 ? (int) embd.dims()[1] : -1;
        try {
            return new LlamaConfig(dim, f.requireInt("llama.block_count"), heads, kvHeads, headDim,
                    f.requireInt("llama.feed_forward_length"), vocab, f.requireInt("llama.context_length"),
                    f.requireFloat("llama.attention.layer_norm_rms_epsilon"), f.floatOr("llama.rope.freq_base", 10000f));
        } catch (IllegalArgumentException e) {
            throw f.error("inconsistent llama metadata: " + e.getMessage());
        }
    }
}
