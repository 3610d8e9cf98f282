package org.kvplace.core.cache;

/**
 * The shape of the KV cache of one model.
 *
 * @param layers transformer layers, each with its own KV pages
 * @param kvHeads key/value heads per layer (query heads are a multiple of this, see
 *     {@link Sequence#attend})
 * @param headDim elements per head vector
 * @param maxTokens most tokens one sequence may hold per layer
 */
public record ModelShape(int layers, int kvHeads, int headDim, int maxTokens) {

    /** Validates the shape; every message names the bad value. */
    public ModelShape {
        if (layers <= 0) {
            throw new IllegalArgumentException("layers must be positive, got " + layers);
        }
        if (kvHeads <= 0) {
            throw new IllegalArgumentException("kvHeads must be positive, got " + kvHeads);
        }
        if (headDim <= 0) {
            throw new IllegalArgumentException("headDim must be positive, got " + headDim);
        }
        if (maxTokens <= 0) {
            throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        }
        // K and V of one token, in f32 bytes, must fit an int: array lengths and page metadata depend on it.
        if (2L * kvHeads * headDim * Float.BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("kvHeads*headDim too large: kvHeads=" + kvHeads + " headDim=" + headDim
                    + " gives " + (long) kvHeads * headDim + " elements per token");
        }
    }

    /** Elements of one token's K (or V) vector over all KV heads: {@code kvHeads * headDim}. */
    public int kvWidth() {
        return kvHeads * headDim;
    }
}
