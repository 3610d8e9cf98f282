package org.kvplace.examples.llama;

import java.util.Objects;
import org.kvplace.core.cache.Sequence;

/**
 * The forward pass of one decoding sequence of a {@link LlamaModel}, with its KV cache in a
 * kvplace {@link Sequence}.
 *
 * <p>Each {@link #forward(int)} call feeds the token at the next position through every layer:
 * RMSNorm, the Q/K/V projections, rotary embeddings on adjacent pairs {@code (2i, 2i+1)} with
 * frequency {@code theta^(-2i/headDim)}, {@code Sequence.append} of K (after rotation) and V,
 * attention through {@code Sequence.attend} (grouped-query attention is the cache's: query head
 * {@code h} reads KV head {@code h / (heads / kvHeads)}), the output projection, and the SwiGLU
 * feed-forward; then the final RMSNorm and the output matrix give the logits. With a
 * {@link PageSelector}, attention is sparse: only the selected pages are read.
 *
 * <p>Not thread-safe: one decoder per sequence, used from one thread. Every buffer is allocated
 * here; a forward pass allocates nothing. The decoder does not own the sequence or the model.
 */
public final class LlamaDecoder {

    private final LlamaModel model;
    private final LlamaConfig c;
    private final Sequence seq;
    private final PageSelector selector;
    private final AttentionObserver observer;
    private final int maxTokens;
    private final float[] x;
    private final float[] xb;
    private final float[] xb2;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] att;
    private final float[] hb;
    private final float[] hb2;
    private final float[] logits;
    private final float[] ropeCos;
    private final float[] ropeSin;
    private final int[] pages;
    private long pagesRead;
    private int position;

    /**
     * A decoder at position 0.
     *
     * @param model the model
     * @param seq an empty sequence of a cache whose shape matches the model (layers, KV heads, head dim)
     * @param selector sparse page selection, or {@code null} for dense attention
     * @throws IllegalArgumentException if the cache shape does not match the model
     */
    public LlamaDecoder(LlamaModel model, Sequence seq, PageSelector selector) {
        this(model, seq, selector, null);
    }

    /**
     * Like {@link #LlamaDecoder(LlamaModel, Sequence, PageSelector)}, reporting the pages each
     * layer's attention reads to {@code observer} (may be {@code null}).
     */
    public LlamaDecoder(LlamaModel model, Sequence seq, PageSelector selector, AttentionObserver observer) {
        this.observer = observer;
        this.model = Objects.requireNonNull(model, "model");
        this.seq = Objects.requireNonNull(seq, "seq");
        this.c = model.config();
        this.selector = selector;
        var shape = seq.cache().shape();
        if (shape.layers() != c.layers() || shape.kvHeads() != c.kvHeads() || shape.headDim() != c.headDim()) {
            throw new IllegalArgumentException("cache shape " + shape + " does not match the model: layers="
                    + c.layers() + " kvHeads=" + c.kvHeads() + " headDim=" + c.headDim());
        }
        this.maxTokens = Math.min(shape.maxTokens(), c.contextLength());
        x = new float[c.dim()];
        xb = new float[Math.max(c.dim(), c.qWidth())];
        xb2 = new float[c.dim()];
        q = new float[c.qWidth()];
        k = new float[c.kvWidth()];
        v = new float[c.kvWidth()];
        att = new float[c.qWidth()];
        hb = new float[c.ffnDim()];
        hb2 = new float[c.ffnDim()];
        logits = new float[c.vocabSize()];
        int half = c.headDim() / 2;
        ropeCos = new float[maxTokens * half];
        ropeSin = new float[maxTokens * half];
        for (int pos = 0; pos < maxTokens; pos++) {
            for (int i = 0; i < half; i++) {
                float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim()));
                float angle = pos * freq;
                ropeCos[pos * half + i] = (float) Math.cos(angle);
                ropeSin[pos * half + i] = (float) Math.sin(angle);
            }
        }
        pages = new int[seq.cache().pagesPerLayer()];
    }

    /** The next position to be fed (tokens fed so far). */
    public int position() {
        return position;
    }

    /** Most tokens this decoder can feed: the cache's maxTokens capped by the model's context. */
    public int maxTokens() {
        return maxTokens;
    }

    /** KV pages read by attention so far, over all layers and steps. */
    public long pagesRead() {
        return pagesRead;
    }

    /**
     * Feeds {@code token} at {@link #position()} and returns the logits for the next token: a buffer
     * owned by this decoder, overwritten by the next call.
     *
     * @throws IllegalArgumentException if the token is out of the vocabulary
     * @throws IllegalStateException if {@link #maxTokens()} tokens have been fed
     */
    public float[] forward(int token) {
        if (token < 0 || token >= c.vocabSize()) {
            throw new IllegalArgumentException("token " + token + " out of range [0, " + c.vocabSize() + ")");
        }
        if (position >= maxTokens) {
            throw new IllegalStateException("context full: " + maxTokens + " tokens fed");
        }
        int pos = position;
        LlamaModel m = model;
        m.tokenEmbedding.row(token, x);
        for (int l = 0; l < c.layers(); l++) {
            rmsNorm(xb, x, m.attnNorm[l]);
            m.wq[l].matvec(xb, q);
            m.wk[l].matvec(xb, k);
            m.wv[l].matvec(xb, v);
            rope(q, c.heads(), pos);
            rope(k, c.kvHeads(), pos);
            seq.append(l, k, v);
            int n;
            if (selector == null) {
                seq.attend(l, q, att);
                n = seq.pageCount(l);
                if (observer != null) {
                    for (int p = 0; p < n; p++) {
                        pages[p] = p;
                    }
                }
            } else {
                selector.observe(l, pos, k);
                n = selector.select(l, q, pages);
                seq.attend(l, q, att, pages, n);
            }
            pagesRead += n;
            if (observer != null) {
                observer.attended(pos, l, pages, n);
            }
            m.wo[l].matvec(att, xb2);
            add(x, xb2);

            rmsNorm(xb, x, m.ffnNorm[l]);
            m.gate[l].matvec(xb, hb);
            m.up[l].matvec(xb, hb2);
            for (int i = 0; i < hb.length; i++) {
                float g = hb[i];
                hb[i] = g / (1f + (float) Math.exp(-g)) * hb2[i];
            }
            m.down[l].matvec(hb, xb2);
            add(x, xb2);
        }
        rmsNorm(x, x, m.outputNorm);
        m.output.matvec(x, logits);
        position++;
        endStep(pos);
        return logits;
    }

    /**
     * The end of one decode step (all layers of one token). The placement engine's hook: when
     * {@code Sequence} gains an end-of-step call (plan and run page migrations, record the step),
     * it is made here. Today nothing migrates on its own.
     */
    private void endStep(int pos) {
        // Placement engine hook: call seq.endStep() here once the library provides it.
        if (observer != null) {
            observer.stepEnded(pos);
        }
    }

    private void rmsNorm(float[] out, float[] in, float[] weight) {
        int n = weight.length;
        float ss = 0f;
        for (int i = 0; i < n; i++) {
            ss += in[i] * in[i];
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + c.rmsEps()));
        for (int i = 0; i < n; i++) {
            out[i] = weight[i] * (scale * in[i]);
        }
    }

    /** Rotates adjacent pairs of every head of {@code vec} by the angles of {@code pos}. */
    private void rope(float[] vec, int heads, int pos) {
        int headDim = c.headDim();
        int half = headDim / 2;
        int base = pos * half;
        for (int h = 0; h < heads; h++) {
            int o = h * headDim;
            for (int i = 0; i < half; i++) {
                float cos = ropeCos[base + i];
                float sin = ropeSin[base + i];
                float a = vec[o + 2 * i];
                float b = vec[o + 2 * i + 1];
                vec[o + 2 * i] = a * cos - b * sin;
                vec[o + 2 * i + 1] = a * sin + b * cos;
            }
        }
    }

    private static void add(float[] acc, float[] delta) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += delta[i];
        }
    }
}
