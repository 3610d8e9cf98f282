package org.kvplace.core.kernel;

import java.lang.foreign.MemorySegment;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;

/**
 * Read access to the KV pages of one layer of one sequence, as a {@link DecodeKernel} sees them.
 *
 * <p>Pages are numbered {@code 0 .. pageCount()-1} in token order: page {@code i} holds tokens
 * {@code i*P .. i*P + pageTokens(i) - 1}. Every page but the last is full. A page's bytes are at
 * {@link #offset(int)} of {@link #segment(int)}, laid out as {@link #layout()} describes; its key
 * metadata (element-wise min and max of the keys per KV head, f32) is at {@link #keyMinOffset} and
 * {@link #keyMaxOffset} of {@link #metadata()}.
 *
 * <p>A view is valid only while its sequence's read lock is held, that is, inside
 * {@link DecodeKernel#attend}; kernels must not keep it. Implementations are flyweights owned by
 * the sequence: no allocation happens per call.
 */
public interface KvLayerView {

    /** The page layout (tokens per page, KV heads, head dim, element type). */
    PageLayout layout();

    /** Number of pages of this layer. */
    int pageCount();

    /** Number of tokens of this layer. */
    int tokenCount();

    /** Tokens held by page {@code page}: {@code P} for all pages but possibly the last. */
    int pageTokens(int page);

    /** The tier page {@code page} currently sits in. */
    TierKind tier(int page);

    /**
     * Whether page {@code page} sits in the fast tier and also keeps a copy in the slow tier (an
     * inclusive cache keeps one of every page), so that a reader may read it from either tier.
     * Default: {@code false}.
     */
    default boolean hasSlowCopy(int page) {
        return false;
    }

    /**
     * The same pages as a slow-tier lane reads them: a page with a slow copy ({@link #hasSlowCopy})
     * answers that copy ({@link #tier} {@link TierKind#SLOW}, its slab, offset and throttle); every
     * other page as in this view. Both copies hold the same bytes, so a kernel computes the same
     * result through either view. Default: this view.
     */
    default KvLayerView slowCopies() {
        return this;
    }

    /** The slab holding page {@code page}. */
    MemorySegment segment(int page);

    /** Byte offset of page {@code page} in {@link #segment(int)}. */
    long offset(int page);

    /** The page's handle, as used by {@code TieredKvCache.migrate}. */
    long pageHandle(int page);

    /**
     * Counts {@code bytes} as read from page {@code page}'s tier; a slow tier waits for its throttle.
     * Kernels call this once per page they read.
     */
    void chargeRead(int page, long bytes);

    /** Segment holding every page's key metadata (f32, always in the fast tier). */
    MemorySegment metadata();

    /** Byte offset in {@link #metadata()} of the {@code headDim} f32 key minimums of {@code kvHead}. */
    long keyMinOffset(int page, int kvHead);

    /** Byte offset in {@link #metadata()} of the {@code headDim} f32 key maximums of {@code kvHead}. */
    long keyMaxOffset(int page, int kvHead);

    /**
     * Pages per page group, or {@code 0} when this view keeps no group metadata (the default). Group
     * {@code g} covers pages {@code g*G .. min(pageCount, (g+1)*G) - 1}; its key metadata is the
     * element-wise min and max of those pages' key metadata, laid out like a page's, at
     * {@link #groupKeyMinOffset} and {@link #groupKeyMaxOffset} of {@link #groupMetadata()}.
     */
    default int groupPages() {
        return 0;
    }

    /**
     * Segment holding the groups' key metadata (f32, in the fast tier).
     *
     * @throws UnsupportedOperationException if {@link #groupPages()} is {@code 0}
     */
    default MemorySegment groupMetadata() {
        throw new UnsupportedOperationException("this view keeps no group metadata");
    }

    /**
     * Byte offset in {@link #groupMetadata()} of the {@code headDim} f32 key minimums of {@code kvHead}
     * over group {@code group}.
     *
     * @throws UnsupportedOperationException if {@link #groupPages()} is {@code 0}
     */
    default long groupKeyMinOffset(int group, int kvHead) {
        throw new UnsupportedOperationException("this view keeps no group metadata");
    }

    /**
     * Byte offset in {@link #groupMetadata()} of the {@code headDim} f32 key maximums of {@code kvHead}
     * over group {@code group}.
     *
     * @throws UnsupportedOperationException if {@link #groupPages()} is {@code 0}
     */
    default long groupKeyMaxOffset(int group, int kvHead) {
        throw new UnsupportedOperationException("this view keeps no group metadata");
    }
}
