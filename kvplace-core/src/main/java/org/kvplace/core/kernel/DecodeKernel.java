package org.kvplace.core.kernel;


/**
 * Decode attention of one query token over the KV pages of one layer of one sequence.
 *
 * <p>The query holds {@code queryHeads * headDim} floats, query head after query head;
 * {@code queryHeads} is a positive multiple of the layer's KV heads and query head {@code h} reads
 * KV head {@code h / (queryHeads / kvHeads)} (grouped-query attention). For each query head the
 * kernel computes {@code softmax(q . k / sqrt(headDim)) . V} over the tokens of the pages it reads,
 * with a numerically stable (online) softmax.
 *
 * <p>A sparse step has three parts, which {@link org.kvplace.core.attention.SparseAttention} drives: {@link #scorePages}
 * bounds every page's scores from its key metadata, {@link org.kvplace.core.attention.PageSelection} picks pages within a
 * token budget, and {@link #attendPages} reads the picked pages of one tier into a partial
 * {@link AttentionState}; the states of the two tiers merge by log-sum-exp.
 *
 * <p>Implementations are stateless and thread-safe, and do not allocate per call (an
 * implementation may keep per-thread scratch). Callers validate arguments before calling; kernels
 * only {@code assert}.
 */
public interface DecodeKernel {

    /** A short name of the implementation, such as {@code "scalar"} or {@code "panama"}. */
    String name();

    /**
     * Attends over the pages of {@code layer} in one pass and writes the output.
     *
     * @param layer the pages, valid for the duration of the call
     * @param q query, {@code queryHeads * headDim} floats
     * @param out output, same length as {@code q}; overwritten
     * @param pages indices of the pages to read, strictly increasing, or {@code null} for all pages
     * @param pageCount number of entries of {@code pages} to use (ignored when {@code pages} is null)
     */
    void attend(KvLayerView layer, float[] q, float[] out, int[] pages, int pageCount);

    /**
     * Writes, for every page {@code p} of {@code layer}, an upper bound of the attention scores its
     * keys can give the query (Quest): {@code scores[p]} is the maximum over all query heads
     * {@code h} of {@code bound(h, p) = sum_d max(q_d * min_d, q_d * max_d)}, with {@code min} and
     * {@code max} the key metadata of the KV head that {@code h} reads. Taking the maximum over the
     * heads means a page ranks as high as the query head most interested in it; the bounds are not
     * scaled by {@code 1/sqrt(headDim)}, which does not change the ranking.
     *
     * <p>So that every implementation gives bit-identical scores (and so selects identical pages),
     * the bound is evaluated in this exact order: with {@code qp = max(q_d, 0)} and
     * {@code qn = min(q_d, 0)}, sixteen float accumulators {@code a[0..15]} start at {@code +0} and
     * for {@code d = 0 .. headDim-1} in order {@code a[d % 16] = fma(qn, min_d, fma(qp, max_d,
     * a[d % 16]))}; then they are added by halving: {@code a[i] += a[i + 8]} for {@code i < 8},
     * {@code a[i] += a[i + 4]} for {@code i < 4}, {@code a[i] += a[i + 2]} for {@code i < 2}, and
     * {@code bound = a[0] + a[1]} (a tree of depth four rather than a chain of fifteen dependent adds).
     * This equals the formula above up to rounding.
     *
     * @param layer the pages, valid for the duration of the call
     * @param q query, {@code queryHeads * headDim} floats
     * @param scores receives {@code layer.pageCount()} scores
     */
    void scorePages(KvLayerView layer, float[] q, float[] scores);

    /**
     * Reads the pages {@code pages[from .. to-1]} and folds their tokens into {@code state} (which
     * may already hold other pages). Each page's read is charged to its tier with
     * {@link KvLayerView#chargeRead} (a slow tier waits for its throttle). When
     * {@code state.maxPages() > 0} the page at position {@code i} of {@code pages} is recorded at
     * position {@code i} of the state, so {@code to <= state.maxPages()}.
     *
     * @param layer the pages, valid for the duration of the call
     * @param q query, {@code queryHeads * headDim} floats
     * @param pages page indices; each appears at most once in the state
     * @param from first position of {@code pages} to read
     * @param to end (exclusive) of the positions to read
     * @param state partial state, of {@code queryHeads} heads of {@code headDim}
     */
    void attendPages(KvLayerView layer, float[] q, int[] pages, int from, int to, AttentionState state);
}
