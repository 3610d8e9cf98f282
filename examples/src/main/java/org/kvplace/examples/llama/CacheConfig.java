package org.kvplace.examples.llama;

import java.util.Objects;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.TieredKvCache;

/**
 * How to size the tiered KV cache of a decode run.
 *
 * @param pageTokens tokens per KV page
 * @param fastPages fast-tier pages, or -1 for half of the pages the run needs (rounded up)
 * @param slowPages slow-tier pages, or -1 for all the pages the run needs
 * @param slowBytesPerSecond slow-tier read/write bandwidth in bytes per second, or
 *     {@code Double.POSITIVE_INFINITY} for unthrottled
 * @param elementType element type of the cached keys and values
 * @param inclusive whether every page keeps its copy in the slow tier
 *     ({@link TieredKvCache.Builder#inclusive(boolean)}); the slow tier must then hold every page
 */
public record CacheConfig(int pageTokens, int fastPages, int slowPages, double slowBytesPerSecond,
        ElementType elementType, boolean inclusive) {

    /** Validates; messages name the bad value. */
    public CacheConfig {
        if (pageTokens <= 0) {
            throw new IllegalArgumentException("pageTokens must be positive, got " + pageTokens);
        }
        if (fastPages < -1 || slowPages < -1) {
            throw new IllegalArgumentException("tier pages must be >= 0 (or -1 for the default), got fast="
                    + fastPages + " slow=" + slowPages);
        }
        if (!(slowBytesPerSecond > 0)) {
            throw new IllegalArgumentException("slowBytesPerSecond must be positive, got " + slowBytesPerSecond);
        }
        Objects.requireNonNull(elementType, "elementType");
    }

    /** Exclusive tiers (a page sits in one). */
    public CacheConfig(int pageTokens, int fastPages, int slowPages, double slowBytesPerSecond,
            ElementType elementType) {
        this(pageTokens, fastPages, slowPages, slowBytesPerSecond, elementType, false);
    }

    /** F32 keys and values, exclusive tiers. */
    public CacheConfig(int pageTokens, int fastPages, int slowPages, double slowBytesPerSecond) {
        this(pageTokens, fastPages, slowPages, slowBytesPerSecond, ElementType.F32);
    }

    /** The same configuration, inclusive or not. */
    public CacheConfig inclusive(boolean inclusive) {
        return new CacheConfig(pageTokens, fastPages, slowPages, slowBytesPerSecond, elementType, inclusive);
    }

    /** Default: 16-token pages, half of the pages fast, all of them slow, unthrottled, F32. */
    public static CacheConfig defaults() {
        return new CacheConfig(16, -1, -1, Double.POSITIVE_INFINITY);
    }

    /** Pages a run of {@code maxTokens} tokens of {@code model} needs over all layers. */
    public int pagesNeeded(LlamaConfig model, int maxTokens) {
        return model.layers() * Math.ceilDiv(maxTokens, pageTokens);
    }

    /**
     * A cache for {@code maxTokens} tokens of {@code model}. The caller owns and closes it.
     *
     * @throws IllegalArgumentException if both tiers end up with zero pages
     */
    public TieredKvCache build(LlamaConfig model, int maxTokens) {
        return builder(model, maxTokens).build();
    }

    /**
     * The cache builder for {@code model} and {@code maxTokens} tokens, configured as
     * {@link #build} builds it (for a {@code KvPlace} engine to own the cache).
     *
     * @throws IllegalArgumentException if the cache is inclusive and the slow tier cannot hold every
     *     page the run needs
     */
    public TieredKvCache.Builder builder(LlamaConfig model, int maxTokens) {
        int needed = pagesNeeded(model, maxTokens);
        int fast = fastPages >= 0 ? fastPages : (needed + 1) / 2;
        int slow = slowPages >= 0 ? slowPages : needed;
        if (inclusive && slow < needed) {
            throw new IllegalArgumentException("an inclusive cache keeps every page in the slow tier: " + needed
                    + " pages of " + pageTokens + " tokens are needed for " + maxTokens + " tokens of " + model.layers()
                    + " layers, the slow tier has " + slow);
        }
        return TieredKvCache.builder()
                .shape(new ModelShape(model.layers(), model.kvHeads(), model.headDim(), maxTokens))
                .pageTokens(pageTokens)
                .fastTierPages(fast)
                .slowTierPages(slow)
                .slowTierBandwidth(slowBytesPerSecond)
                .elementType(elementType)
                .inclusive(inclusive);
    }
}
