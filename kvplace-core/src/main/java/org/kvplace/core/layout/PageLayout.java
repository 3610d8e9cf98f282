package org.kvplace.core.layout;

import java.util.Objects;

/**
 * Byte layout of one KV page inside its tier slot.
 *
 * <p>A page holds up to {@code pageTokens} tokens of one layer, all KV heads; each KV head's keys
 * are followed by its values:
 * <pre>
 *   for kvHead in 0 .. kvHeads-1:   K[token][dim]   then   V[token][dim]
 * </pre>
 * so that one KV head's keys (or values) over the page's tokens are contiguous, and attention,
 * which reads a head's keys and then its values, walks the page front to back in one stream (the
 * hardware prefetcher follows one stream better than two). Offsets are in bytes from the start of
 * the slot and depend on the element type, which is why kernels go through this class rather than
 * computing them.
 *
 * @param pageTokens tokens per page (P)
 * @param kvHeads KV heads
 * @param headDim elements per head vector
 * @param elementType element type of K and V
 */
public record PageLayout(int pageTokens, int kvHeads, int headDim, ElementType elementType) {

    /** Validates the layout. */
    public PageLayout {
        if (pageTokens <= 0) {
            throw new IllegalArgumentException("pageTokens must be positive, got " + pageTokens);
        }
        if (kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("kvHeads and headDim must be positive, got kvHeads="
                    + kvHeads + " headDim=" + headDim);
        }
        Objects.requireNonNull(elementType, "elementType");
    }

    /** Bytes of one head vector: {@code headDim * elementBytes}. */
    public long headBytes() {
        return (long) headDim * elementType.bytes();
    }

    /** Bytes of K and V of one token over all KV heads. */
    public long tokenBytes() {
        return 2L * kvHeads * headBytes();
    }

    /** Bytes of a full page: {@code pageTokens * tokenBytes()}. */
    public long pageBytes() {
        return pageTokens * tokenBytes();
    }

    /** Byte offset within the slot of the key vector of {@code kvHead} at {@code token} of the page. */
    public long keyOffset(int kvHead, int token) {
        return ((2L * kvHead) * pageTokens + token) * headBytes();
    }

    /** Byte offset within the slot of the value vector of {@code kvHead} at {@code token} of the page. */
    public long valueOffset(int kvHead, int token) {
        return ((2L * kvHead + 1) * pageTokens + token) * headBytes();
    }
}
