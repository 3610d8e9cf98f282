package org.kvplace.core.cache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.memory.TierSlab;

/**
 * One {@link Sequence}'s page table: per layer, the handles of its pages, the group-metadata
 * records of its page groups and its token count; and the writes and reads of a token's K and V
 * through it. Page records themselves (tier, slot, tokens) live in the cache's {@link PageTable},
 * key bounds in its {@link KeyBounds}.
 *
 * <p>Owned by its sequence and guarded by the sequence's lock: writes ({@link #append},
 * {@link #freeAll}) under the write lock, everything else under the read lock or the write lock.
 */
final class SequencePages {

    private final TieredKvCache cache;
    private final PageTable table;
    private final KeyBounds bounds;
    private final PageLayout layout;
    private final int kvHeads;
    private final int headDim;
    private final long[][] pageTable; // [layer][page] -> handle
    private final int[][] groupTable; // [layer][group] -> page-group metadata record
    private final int[] tokens;       // per layer

    SequencePages(TieredKvCache cache, PageTable table, KeyBounds bounds, int layers) {
        this.cache = cache;
        this.table = table;
        this.bounds = bounds;
        this.layout = cache.layout();
        this.kvHeads = layout.kvHeads();
        this.headDim = layout.headDim();
        this.pageTable = new long[layers][cache.pagesPerLayer()];
        this.groupTable = new int[layers][(int) ((cache.pagesPerLayer() + (long) TieredKvCache.GROUP_PAGES - 1)
                / TieredKvCache.GROUP_PAGES)];
        this.tokens = new int[layers];
    }

    /** Tokens of {@code layer}. */
    int tokens(int layer) {
        return tokens[layer];
    }

    /** Pages of {@code layer}. */
    int pageCount(int layer) {
        return Math.ceilDiv(tokens[layer], layout.pageTokens());
    }

    /** The handle of page {@code page} of {@code layer}. */
    long handle(int layer, int page) {
        return pageTable[layer][page];
    }

    /** The index in the {@link PageTable} of page {@code page} of {@code layer}. */
    int index(int layer, int page) {
        return Pages.index(pageTable[layer][page]);
    }

    /** The key-bounds record of group {@code group} of {@code layer}. */
    int groupRecord(int layer, int group) {
        return groupTable[layer][group];
    }

    /**
     * Appends one token of {@code layer} (the caller checked the values and the room): opens a
     * page (and a page group) when the token starts one, writes K and V, updates the key bounds.
     *
     * @throws TierFullException if a new page is needed and both tiers are full
     */
    void append(Sequence owner, int layer, float[] k, float[] v, TierKind preferred) {
        int t = tokens[layer];
        int pageIndex = t / layout.pageTokens();
        int inPage = t % layout.pageTokens();
        boolean groupStart = inPage == 0 && pageIndex % TieredKvCache.GROUP_PAGES == 0;
        if (inPage == 0) {
            pageTable[layer][pageIndex] = cache.allocatePage(owner, layer, t, preferred);
            if (groupStart) {
                groupTable[layer][pageIndex / TieredKvCache.GROUP_PAGES] = table.allocateGroupRecord();
            }
        }
        int index = Pages.index(pageTable[layer][pageIndex]);
        TierSlab tier = table.tierAt(index);
        MemorySegment slab = tier.slab();
        long base = tier.slotOffset(table.slotAt(index));
        int group = groupTable[layer][pageIndex / TieredKvCache.GROUP_PAGES];
        for (int h = 0; h < kvHeads; h++) {
            writeHead(slab, base + layout.keyOffset(h, inPage), k, h * headDim);
            writeHead(slab, base + layout.valueOffset(h, inPage), v, h * headDim);
            bounds.updatePage(index, h, k, h * headDim, inPage == 0);
            bounds.updateGroup(group, h, k, h * headDim, groupStart);
        }
        tier.chargeWrite(layout.tokenBytes());
        if (table.hasSlowCopy(index)) { // inclusive: the slow copy stays current
            TierSlab slow = table.slab(TierKind.SLOW);
            long copy = table.slowCopyOffset(index);
            for (int h = 0; h < kvHeads; h++) {
                writeHead(slow.slab(), copy + layout.keyOffset(h, inPage), k, h * headDim);
                writeHead(slow.slab(), copy + layout.valueOffset(h, inPage), v, h * headDim);
            }
            slow.chargeWrite(layout.tokenBytes());
        }
        table.setTokensAt(index, inPage + 1);
        tokens[layer] = t + 1;
    }

    private void writeHead(MemorySegment slab, long offset, float[] src, int srcOffset) {
        if (layout.elementType() == ElementType.F32) {
            MemorySegment.copy(src, srcOffset, slab, ValueLayout.JAVA_FLOAT, offset, headDim);
        } else {
            ElementType type = layout.elementType();
            for (int d = 0; d < headDim; d++) {
                type.store(slab, offset + (long) d * type.bytes(), src[srcOffset + d]);
            }
        }
    }

    /** Copies the stored key (or value) of {@code token} of {@code layer} into {@code dst}. */
    void read(int layer, int token, float[] dst, boolean key) {
        read(layer, token, dst, key, false);
    }

    /**
     * Copies the stored key (or value) of {@code token} of {@code layer} into {@code dst}, from the
     * page's slow copy if {@code slowCopy} and it has one.
     */
    void read(int layer, int token, float[] dst, boolean key, boolean slowCopy) {
        int index = Pages.index(pageTable[layer][token / layout.pageTokens()]);
        int inPage = token % layout.pageTokens();
        boolean copy = slowCopy && table.hasSlowCopy(index);
        TierSlab tier = copy ? table.slab(TierKind.SLOW) : table.tierAt(index);
        MemorySegment slab = tier.slab();
        long base = copy ? table.slowCopyOffset(index) : tier.slotOffset(table.slotAt(index));
        ElementType type = layout.elementType();
        for (int h = 0; h < kvHeads; h++) {
            long off = base + (key ? layout.keyOffset(h, inPage) : layout.valueOffset(h, inPage));
            for (int d = 0; d < headDim; d++) {
                dst[h * headDim + d] = type.load(slab, off + (long) d * type.bytes());
            }
        }
    }

    /**
     * Frees every page and group record and empties every layer. If freeing a page fails (the
     * cache is being closed by another thread), the remaining pages are still released.
     *
     * @return the first failure, or null
     */
    RuntimeException freeAll() {
        RuntimeException failure = null;
        for (int l = 0; l < tokens.length; l++) {
            int n = pageCount(l);
            for (int p = 0; p < n; p++) {
                try {
                    table.free(Pages.index(pageTable[l][p]));
                    if (p % TieredKvCache.GROUP_PAGES == 0) {
                        table.freeGroupRecord(groupTable[l][p / TieredKvCache.GROUP_PAGES]);
                    }
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    }
                }
            }
            tokens[l] = 0;
        }
        return failure;
    }
}
