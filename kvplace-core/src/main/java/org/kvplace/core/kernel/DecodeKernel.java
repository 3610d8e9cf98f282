package org.kvplace.core.kernel;

/**
 * Decode attention of one query token over the KV pages of one layer of one sequence.
 *
 * <p>The query holds {@code queryHeads * headDim} floats, query head after query head;
 * {@code queryHeads} is a positive multiple of the layer's KV heads and query head {@code h} reads
 * KV head {@code h / (queryHeads / kvHeads)} (grouped-query attention). For each query head the
 * kernel computes {@code softmax(q . k / sqrt(headDim)) . V} over the tokens of the pages it reads,
 * with a numerically stable softmax, and writes it to the same head's slice of {@code out}.
 *
 * <p>Implementations are stateless and thread-safe, and do not allocate per call. Callers (the
 * cache) validate arguments before calling; kernels only {@code assert}.
 */
public interface DecodeKernel {

    /** A short name of the implementation, such as {@code "scalar"}. */
    String name();

    /**
     * Attends over the pages of {@code layer}.
     *
     * @param layer the pages, valid for the duration of the call
     * @param q query, {@code queryHeads * headDim} floats
     * @param out output, same length as {@code q}; overwritten
     * @param pages indices of the pages to read, strictly increasing, or {@code null} for all pages
     * @param pageCount number of entries of {@code pages} to use (ignored when {@code pages} is null)
     */
    void attend(KvLayerView layer, float[] q, float[] out, int[] pages, int pageCount);
}
