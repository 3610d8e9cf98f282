package org.kvplace.examples.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.kvplace.kernels.MatVec;

/**
 * A Llama-architecture model loaded from GGUF: configuration, tokenizer and weights viewed in
 * place in the mapped file.
 *
 * <p>Ownership: the model owns its {@link GgufFile}; {@link #close()} (idempotent) unmaps it, after
 * which the weights are unusable. Immutable and thread-safe while open.
 */
public final class LlamaModel implements AutoCloseable {

    private final GgufFile file;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    final Matrix tokenEmbedding;
    final float[][] attnNorm;
    final Matrix[] wq;
    final Matrix[] wk;
    final Matrix[] wv;
    final Matrix[] wo;
    final float[][] ffnNorm;
    final Matrix[] gate;
    final Matrix[] up;
    final Matrix[] down;
    final float[] outputNorm;
    final Matrix output;
    private final boolean tiedOutput;
    private final MatVec ops;

    private LlamaModel(GgufFile f, MatVec ops) throws GgufFormatException {
        this.file = f;
        this.ops = ops;
        this.config = LlamaConfig.from(f);
        LlamaConfig.checkBlocks(f); // before the per-layer arrays below are sized by the block count
        this.tokenizer = Tokenizer.from(f);
        LlamaConfig c = config;
        if (tokenizer.vocabSize() != c.vocabSize()) {
            throw f.error("tokenizer.ggml.tokens has " + tokenizer.vocabSize() + " pieces but token_embd.weight has "
                    + c.vocabSize() + " rows");
        }
        int n = c.layers();
        tokenEmbedding = matrix("token_embd.weight", c.vocabSize(), c.dim());
        attnNorm = new float[n][];
        ffnNorm = new float[n][];
        wq = new Matrix[n];
        wk = new Matrix[n];
        wv = new Matrix[n];
        wo = new Matrix[n];
        gate = new Matrix[n];
        up = new Matrix[n];
        down = new Matrix[n];
        for (int l = 0; l < n; l++) {
            String b = "blk." + l + ".";
            attnNorm[l] = vector(b + "attn_norm.weight", c.dim());
            wq[l] = matrix(b + "attn_q.weight", c.qWidth(), c.dim());
            wk[l] = matrix(b + "attn_k.weight", c.kvWidth(), c.dim());
            wv[l] = matrix(b + "attn_v.weight", c.kvWidth(), c.dim());
            wo[l] = matrix(b + "attn_output.weight", c.dim(), c.qWidth());
            ffnNorm[l] = vector(b + "ffn_norm.weight", c.dim());
            gate[l] = matrix(b + "ffn_gate.weight", c.ffnDim(), c.dim());
            up[l] = matrix(b + "ffn_up.weight", c.ffnDim(), c.dim());
            down[l] = matrix(b + "ffn_down.weight", c.dim(), c.ffnDim());
        }
        outputNorm = vector("output_norm.weight", c.dim());
        tiedOutput = f.tensorOrNull("output.weight") == null;
        output = tiedOutput ? tokenEmbedding : matrix("output.weight", c.vocabSize(), c.dim());
    }

    /**
     * Maps and loads a GGUF model.
     *
     * @throws GgufFormatException if the file is not a supported Llama GGUF (the message names the file,
     *     key or tensor and offset)
     * @throws IOException if it cannot be read
     */
    public static LlamaModel load(Path path) throws IOException {
        return load(path, MatVec.get());
    }

    /**
     * Like {@link #load(Path)}, with the matrix-vector implementation {@code ops} for every matrix
     * (for example {@link MatVec#warmStart()}).
     *
     * @throws GgufFormatException if the file is not a supported Llama GGUF
     * @throws IOException if it cannot be read
     */
    public static LlamaModel load(Path path, MatVec ops) throws IOException {
        Objects.requireNonNull(ops, "ops");
        GgufFile f = GgufFile.open(path);
        try {
            return new LlamaModel(f, ops);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private Matrix matrix(String name, int rows, int cols) throws GgufFormatException {
        GgufTensor t = file.tensor(name);
        Matrix m;
        try {
            m = Matrix.of(t, ops);
        } catch (GgufFormatException e) {
            throw file.error(e.getMessage()); // with the file's name
        }
        if (m.rows() != rows || m.cols() != cols) {
            throw file.error("tensor " + Printable.name(name) + " at offset " + t.fileOffset() + " is " + m.rows() + "x" + m.cols()
                    + " (rows x cols), expected " + rows + "x" + cols);
        }
        return m;
    }

    /** A norm's weights, checked: a NaN or infinite weight would make every later activation NaN. */
    private float[] vector(String name, int n) throws GgufFormatException {
        float[] v = matrix(name, 1, n).toFloats();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw file.error("tensor '" + name + "' at offset " + file.tensor(name).fileOffset() + " holds " + v[i]
                        + " at element " + i + "; weights must be finite");
            }
        }
        return v;
    }

    /**
     * Explains non-finite activations: finds the first tensor, in the order the forward pass reads
     * them up to {@code layer} (the output tensors when {@code layer} is -1), that holds a NaN or an
     * infinity. For the failure path only: it reads every weight of those layers.
     *
     * @return an exception naming the file, the tensor and the element, or saying that the weights
     *     are finite and the activations overflowed
     */
    IllegalStateException nonFinite(String what, int layer, int position) {
        java.util.List<Matrix> order = new java.util.ArrayList<>();
        order.add(tokenEmbedding);
        int last = layer < 0 ? config.layers() - 1 : layer;
        for (int l = 0; l <= last; l++) {
            order.addAll(java.util.List.of(wq[l], wk[l], wv[l], wo[l], gate[l], up[l], down[l]));
        }
        if (layer < 0) {
            order.add(output);
        }
        for (Matrix m : order) {
            long at = m.firstNonFinite();
            if (at >= 0) {
                return new IllegalStateException(Printable.escape(file.path() + ": tensor " + Printable.name(m.name())
                        + " holds a non-finite weight at row " + at / m.cols() + ", column " + at % m.cols()
                        + "; the model file is corrupt (" + what + " at position " + position + ")"));
            }
        }
        return new IllegalStateException(Printable.escape(file.path() + ": " + what + " at position " + position
                + ", although every weight read is finite: the activations overflowed; the weights are out of any"
                + " usable range"));
    }

    /** The configuration. */
    public LlamaConfig config() {
        return config;
    }

    /** The tokenizer. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The GGUF file (open while the model is). */
    public GgufFile file() {
        return file;
    }

    /** Whether the output matrix is the token embedding (no separate {@code output.weight}). */
    public boolean tiedOutput() {
        return tiedOutput;
    }

    /** Bytes of the weights of one transformer block, averaged over the blocks ({@code blk.*} tensors). */
    public long weightBytesPerLayer() {
        long total = 0;
        for (GgufTensor t : file.tensors().values()) {
            if (t.name().startsWith("blk.")) {
                total += t.data().byteSize();
            }
        }
        return total / config.layers();
    }

    @Override
    public void close() {
        file.close();
    }

    @Override
    public String toString() {
        return "LlamaModel[" + file.path().getFileName() + ", " + config + "]";
    }
}
