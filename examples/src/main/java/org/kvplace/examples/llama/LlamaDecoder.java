package org.kvplace.examples.llama;

import java.util.Objects;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.engine.KvSequence;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.attention.SparseAttention;

/**
 * The forward pass of one decoding sequence of a {@link LlamaModel}, with its KV cache in a
 * kvplace {@link Sequence}.
 *
 * <p>Each {@link #forward(int)} call feeds the token at the next position through every layer:
 * RMSNorm, the Q/K/V projections, rotary embeddings on adjacent pairs {@code (2i, 2i+1)} with
 * frequency {@code theta^(-2i/headDim)}, {@code Sequence.append} of K (after rotation) and V,
 * attention through {@code Sequence.attend} (grouped-query attention is the cache's: query head
 * {@code h} reads KV head {@code h / (heads / kvHeads)}), the output projection, and the SwiGLU
 * feed-forward; then the final RMSNorm and the output matrix give the logits.
 *
 * <p>Attention: with a token budget, it is sparse through the library's {@link SparseAttention}
 * ({@code Sequence.attend(layer, q, out, attention)}): pages are chosen Quest-style from the
 * cache's own per-page key min/max, always the sink and the newest page, within the budget, and
 * the driver reports the pages read and each page's attention mass. Without a budget
 * ({@link PageSelection#ALL}) attention is dense: through the cache's dense kernel
 * ({@code Sequence.attend(layer, q, out)}), unless an observer is attached, in which case the same
 * driver runs with the unlimited budget so that the observer receives every page with its mass.
 *
 * <p>Not thread-safe: one decoder per sequence, used from one thread. Every buffer, and the
 * {@code SparseAttention} driver, is made here; a forward pass allocates nothing. The decoder owns
 * the driver (its slow-lane thread stops in {@link #close()}, which is idempotent) but not the
 * sequence or the model.
 */
public final class LlamaDecoder implements AutoCloseable {

    private final LlamaModel model;
    private final LlamaConfig c;
    private final Sequence seq;
    private final KvSequence engine; // null: the cache's sequence is driven directly
    private final SparseAttention attention;
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
    private final float[] masses;
    private final MatVecPool pool; // null: one thread, every product on the caller
    private long matvecNanos;
    private long attentionNanos;
    private long pagesRead;
    private long pagesScored;
    private int position;

    /**
     * A decoder at position 0, dense ({@code budgetTokens == PageSelection.ALL}) or sparse, without
     * an observer and with the two tiers' pages read one lane after the other.
     *
     * @see #LlamaDecoder(LlamaModel, Sequence, int, boolean, AttentionObserver)
     */
    public LlamaDecoder(LlamaModel model, Sequence seq, int budgetTokens) {
        this(model, seq, budgetTokens, false, null);
    }

    /**
     * A decoder at position 0.
     *
     * @param model the model
     * @param seq an empty sequence of a cache whose shape matches the model (layers, KV heads, head dim)
     * @param budgetTokens tokens attention reads per layer and step at most (the sink and the newest
     *     page count against it and are always read), or {@link PageSelection#ALL} for dense attention
     * @param parallelLanes whether the slow tier's pages are read on their own thread while the fast
     *     tier's are read on the calling thread (worth it when the slow tier is throttled)
     * @param observer receives the pages each layer's attention read and their masses, or {@code null}
     * @throws IllegalArgumentException if the cache shape does not match the model or the budget is
     *     not positive
     */
    public LlamaDecoder(LlamaModel model, Sequence seq, int budgetTokens, boolean parallelLanes,
            AttentionObserver observer) {
        this(model, seq, budgetTokens, 0, parallelLanes, observer);
    }

    /**
     * A decoder at position 0 whose sparse attention selects pages flat ({@code oversample == 0}:
     * every page scored) or in two levels ({@code oversample > 0}: groups of
     * {@code TieredKvCache.GROUP_PAGES} pages first, see
     * {@link SparseAttention.Builder#oversample(int)}).
     *
     * @param model the model
     * @param seq an empty sequence of a cache whose shape matches the model (layers, KV heads, head dim)
     * @param budgetTokens tokens attention reads per layer and step at most (the sink and the newest
     *     page count against it and are always read), or {@link PageSelection#ALL} for dense attention
     * @param oversample {@code 0} for flat page selection, else the two-level oversampling factor
     *     (the first level keeps groups covering {@code oversample * budgetTokens} tokens, plus the
     *     first and newest groups); it has no effect on dense attention
     * @param parallelLanes whether the slow tier's pages are read on their own thread while the fast
     *     tier's are read on the calling thread (worth it when the slow tier is throttled)
     * @param observer receives the pages each layer's attention read and their masses, or {@code null}
     * @throws IllegalArgumentException if the cache shape does not match the model, the budget is
     *     not positive or {@code oversample} is negative
     */
    public LlamaDecoder(LlamaModel model, Sequence seq, int budgetTokens, int oversample, boolean parallelLanes,
            AttentionObserver observer) {
        this(model, Objects.requireNonNull(seq, "seq"), null, budgetTokens, oversample, parallelLanes, observer);
    }

    /**
     * A decoder at position 0 on a sequence of the placement engine: each layer appends and attends
     * through {@code seq} (sparse or dense as its engine was built), and each forward pass ends with
     * {@link KvSequence#endStep()}, so the engine's policy places new pages and migrates pages while
     * the model decodes. The decoder does not own the sequence.
     *
     * @param model the model
     * @param seq an empty engine sequence of a cache whose shape matches the model
     * @param observer receives the pages each layer's attention read and their masses, or {@code null}
     * @throws IllegalArgumentException if the cache shape does not match the model
     */
    public LlamaDecoder(LlamaModel model, KvSequence seq, AttentionObserver observer) {
        this(model, seq, observer, 1);
    }

    /**
     * Like {@link #LlamaDecoder(LlamaModel, KvSequence, AttentionObserver)}, with the rows of every
     * matrix-vector product split over {@code threads} threads: the calling thread and
     * {@code threads - 1} worker threads that this decoder starts now, parks between products and
     * stops in {@link #close()}. Attention runs on the calling thread (one engine call per layer).
     * The logits are bit-identical for every thread count; {@code threads == 1} starts no thread.
     *
     * @param threads threads that compute the products, at least 1
     * @throws IllegalArgumentException if the cache shape does not match the model or {@code threads < 1}
     */
    public LlamaDecoder(LlamaModel model, KvSequence seq, AttentionObserver observer, int threads) {
        this(model, Objects.requireNonNull(seq, "seq").sequence(), seq, PageSelection.ALL, 0, false, observer,
                pool(threads));
    }

    /** A decoder on an engine sequence whose products run on {@code pool} (owned from now on; for tests). */
    LlamaDecoder(LlamaModel model, KvSequence seq, AttentionObserver observer, MatVecPool pool) {
        this(model, Objects.requireNonNull(seq, "seq").sequence(), seq, PageSelection.ALL, 0, false, observer, pool);
    }

    private static MatVecPool pool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        return threads == 1 ? null : new MatVecPool(threads);
    }

    private LlamaDecoder(LlamaModel model, Sequence seq, KvSequence engine, int budgetTokens, int oversample,
            boolean parallelLanes, AttentionObserver observer) {
        this(model, seq, engine, budgetTokens, oversample, parallelLanes, observer, null);
    }

    private LlamaDecoder(LlamaModel model, Sequence seq, KvSequence engine, int budgetTokens, int oversample,
            boolean parallelLanes, AttentionObserver observer, MatVecPool pool) {
        this.pool = pool;
        try {
            check(model, seq, budgetTokens, oversample);
        } catch (RuntimeException e) {
            if (pool != null) {
                pool.close();
            }
            throw e;
        }
        this.engine = engine;
        this.observer = observer;
        this.model = model;
        this.seq = seq;
        this.c = model.config();
        var shape = seq.cache().shape();
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
        int maxPages = seq.cache().pagesPerLayer();
        pages = new int[maxPages];
        masses = new float[maxPages];
        this.attention = engine != null || budgetTokens == PageSelection.ALL && observer == null ? null
                : SparseAttention.builder(seq.cache().kernel(), c.heads(), c.headDim(), maxPages)
                        .budgetTokens(budgetTokens).parallelLanes(parallelLanes).oversample(oversample).build();
    }

    private static void check(LlamaModel model, Sequence seq, int budgetTokens, int oversample) {
        if (oversample < 0) {
            throw new IllegalArgumentException("oversample must be >= 0, got " + oversample);
        }
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(seq, "seq");
        LlamaConfig c = model.config();
        if (budgetTokens <= 0) {
            throw new IllegalArgumentException("budgetTokens must be positive (PageSelection.ALL for dense), got "
                    + budgetTokens);
        }
        var shape = seq.cache().shape();
        if (shape.layers() != c.layers() || shape.kvHeads() != c.kvHeads() || shape.headDim() != c.headDim()) {
            throw new IllegalArgumentException("cache shape " + shape + " does not match the model: layers="
                    + c.layers() + " kvHeads=" + c.kvHeads() + " headDim=" + c.headDim());
        }
    }

    /** Threads that compute the matrix-vector products, the calling thread included. */
    public int threads() {
        return pool == null ? 1 : pool.threads();
    }

    /** Nanoseconds spent in matrix-vector products so far (wall clock on the calling thread). */
    public long matvecNanos() {
        return matvecNanos;
    }

    /** Nanoseconds spent in attention so far (append, attend and the engine's bookkeeping of each layer). */
    public long attentionNanos() {
        return attentionNanos;
    }

    /** Tokens read per layer and step at most, {@link PageSelection#ALL} for dense attention. */
    public int budgetTokens() {
        return attention == null ? PageSelection.ALL : attention.budgetTokens();
    }

    /** The two-level selection's oversampling factor, {@code 0} for flat selection or dense attention. */
    public int oversample() {
        return attention == null ? 0 : attention.oversample();
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
     * The query of the layer attended last (after rotation), valid while an observer's
     * {@link AttentionObserver#attended} runs: a buffer of this decoder, overwritten by the next
     * layer. For measurements that try other page selections on the same query.
     */
    float[] lastQuery() {
        return q;
    }

    /**
     * Page bounds the sparse selection scored so far, over all layers and steps: every page of the
     * layer for flat selection, the pages of the kept groups for two-level selection (whose group
     * bounds are not counted); {@code 0} for dense attention without an observer, which scores nothing.
     */
    public long pagesScored() {
        return pagesScored;
    }

    private static boolean finite(float[] a) {
        for (float f : a) {
            if (!Float.isFinite(f)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Feeds {@code token} at {@link #position()} and returns the logits for the next token: a buffer
     * owned by this decoder, overwritten by the next call.
     *
     * @throws IllegalArgumentException if the token is out of the vocabulary
     * @throws IllegalStateException if {@link #maxTokens()} tokens have been fed, or if queries, keys,
     *     values or logits come out NaN or infinite (the message names the tensor of the model file that
     *     holds a non-finite weight, if one does)
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
        long mv = 0;
        long at = 0;
        for (int l = 0; l < c.layers(); l++) {
            rmsNorm(xb, x, m.attnNorm[l]);
            long t = System.nanoTime();
            if (pool == null) {
                m.wq[l].matvec(xb, q);
                m.wk[l].matvec(xb, k);
                m.wv[l].matvec(xb, v);
            } else {
                pool.matvec(m.wq[l], q, m.wk[l], k, m.wv[l], v, xb);
            }
            long t1 = System.nanoTime();
            mv += t1 - t;
            rope(q, c.heads(), pos);
            rope(k, c.kvHeads(), pos);
            if (!finite(q) || !finite(k) || !finite(v)) {
                throw m.nonFinite("the queries, keys or values of layer " + l + " are not finite", l, pos);
            }
            int n;
            t = System.nanoTime();
            try {
                if (engine != null) {
                    engine.append(l, k, v);
                    engine.attend(l, q, att);
                    n = engine.lastReadCount();
                    pagesScored += engine.lastScoredPages();
                    if (observer != null) {
                        for (int i = 0; i < n; i++) {
                            pages[i] = engine.lastReadPage(i);
                            masses[i] = engine.lastReadMass(i);
                        }
                    }
                } else if (attention == null) {
                    seq.append(l, k, v);
                    seq.attend(l, q, att);
                    n = seq.pageCount(l);
                } else {
                    seq.append(l, k, v);
                    seq.attend(l, q, att, attention);
                    n = attention.selectedCount();
                    pagesScored += attention.scoredPages();
                    if (observer != null) {
                        for (int i = 0; i < n; i++) {
                            pages[i] = attention.selectedPage(i);
                            masses[i] = attention.pageMass(i);
                        }
                    }
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                // finite but huge activations (absurd weights): the cache refuses them or the scores overflow
                throw m.nonFinite("the attention of layer " + l + " failed (" + e.getMessage() + ")", l, pos);
            }
            t1 = System.nanoTime();
            at += t1 - t;
            if (!finite(att)) {
                throw m.nonFinite("the attention output of layer " + l + " is not finite", l, pos);
            }
            pagesRead += n;
            if (observer != null) {
                observer.attended(pos, l, pages, masses, n);
            }
            t = System.nanoTime();
            if (pool == null) {
                m.wo[l].matvec(att, xb2);
            } else {
                pool.matvec(m.wo[l], att, xb2);
            }
            t1 = System.nanoTime();
            mv += t1 - t;
            add(x, xb2);

            rmsNorm(xb, x, m.ffnNorm[l]);
            t = System.nanoTime();
            if (pool == null) {
                m.gate[l].matvec(xb, hb);
                m.up[l].matvec(xb, hb2);
            } else {
                pool.matvec(m.gate[l], hb, m.up[l], hb2, xb);
            }
            t1 = System.nanoTime();
            mv += t1 - t;
            for (int i = 0; i < hb.length; i++) {
                float g = hb[i];
                hb[i] = g / (1f + (float) Math.exp(-g)) * hb2[i];
            }
            t = System.nanoTime();
            if (pool == null) {
                m.down[l].matvec(hb, xb2);
            } else {
                pool.matvec(m.down[l], hb, xb2);
            }
            mv += System.nanoTime() - t;
            add(x, xb2);
        }
        rmsNorm(x, x, m.outputNorm);
        long t = System.nanoTime();
        if (pool == null) {
            m.output.matvec(x, logits);
        } else {
            pool.matvec(m.output, x, logits);
        }
        mv += System.nanoTime() - t;
        matvecNanos += mv;
        attentionNanos += at;
        if (!finite(logits)) {
            throw m.nonFinite("the logits are not finite", -1, pos);
        }
        position++;
        endStep(pos);
        return logits;
    }

    /**
     * Appends random keys and values (uniform in {@code [-1, 1)}, from {@code seed}) to every layer
     * for {@code tokens} positions, ending a step after each, without running the model: fills the
     * context before a speed measurement, where the values do not change what a later step reads.
     * The observer is not told.
     *
     * @throws IllegalArgumentException if {@code tokens} is negative or more than fit before
     *     {@link #maxTokens()}
     */
    public void fillRandom(int tokens, long seed) {
        if (tokens < 0 || tokens > maxTokens - position) {
            throw new IllegalArgumentException("tokens " + tokens + " must be in [0, " + (maxTokens - position)
                    + "] (position " + position + " of " + maxTokens + ")");
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < c.layers(); l++) {
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) (2 * r.nextDouble() - 1);
                    v[i] = (float) (2 * r.nextDouble() - 1);
                }
                if (engine != null) {
                    engine.append(l, k, v);
                } else {
                    seq.append(l, k, v);
                }
            }
            if (engine != null) {
                engine.endStep();
            }
            position++;
        }
    }

    /**
     * The end of one decode step (all layers of one token). The placement engine's hook: when
     * {@code Sequence} gains an end-of-step call (plan and run page migrations, record the step),
     * it is made here. Today nothing migrates on its own.
     */
    private void endStep(int pos) {
        if (engine != null) {
            engine.endStep();
        }
        if (observer != null) {
            observer.stepEnded(pos);
        }
    }

    /** Stops the sparse-attention driver's slow-lane thread and the matrix-vector workers, if any. Idempotent. */
    @Override
    public void close() {
        if (attention != null) {
            attention.close();
        }
        if (pool != null) {
            pool.close();
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
