package org.kvplace.core.cache;

import java.lang.foreign.MemorySegment;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;

/**
 * Flyweight view of one layer of a {@link Sequence} for kernels: one per layer, made when the
 * sequence is, so attending allocates nothing. Valid under the sequence's read lock, which keeps
 * the layer's pages from moving or changing under the kernel.
 */
final class SequenceLayerView implements KvLayerView {

    private final SequencePages pages;
    private final PageTable table;
    private final KeyBounds bounds;
    private final PageLayout layout;
    private final int layer;

    SequenceLayerView(SequencePages pages, PageTable table, KeyBounds bounds, PageLayout layout, int layer) {
        this.pages = pages;
        this.table = table;
        this.bounds = bounds;
        this.layout = layout;
        this.layer = layer;
    }

    private int index(int page) {
        return pages.index(layer, page);
    }

    @Override
    public PageLayout layout() {
        return layout;
    }

    @Override
    public int pageCount() {
        return pages.pageCount(layer);
    }

    @Override
    public int tokenCount() {
        return pages.tokens(layer);
    }

    @Override
    public int pageTokens(int page) {
        return table.tokensAt(index(page));
    }

    @Override
    public TierKind tier(int page) {
        return table.tierKindAt(index(page));
    }

    @Override
    public MemorySegment segment(int page) {
        return table.tierAt(index(page)).slab();
    }

    @Override
    public long offset(int page) {
        return table.offsetAt(index(page));
    }

    @Override
    public long pageHandle(int page) {
        return pages.handle(layer, page);
    }

    @Override
    public void chargeRead(int page, long bytes) {
        table.tierAt(index(page)).chargeRead(bytes);
    }

    @Override
    public MemorySegment metadata() {
        return bounds.pages();
    }

    @Override
    public long keyMinOffset(int page, int kvHead) {
        return bounds.minOffset(index(page), kvHead);
    }

    @Override
    public long keyMaxOffset(int page, int kvHead) {
        return bounds.maxOffset(index(page), kvHead);
    }

    @Override
    public int groupPages() {
        return TieredKvCache.GROUP_PAGES;
    }

    @Override
    public MemorySegment groupMetadata() {
        return bounds.groups();
    }

    @Override
    public long groupKeyMinOffset(int group, int kvHead) {
        return bounds.minOffset(pages.groupRecord(layer, group), kvHead);
    }

    @Override
    public long groupKeyMaxOffset(int group, int kvHead) {
        return bounds.maxOffset(pages.groupRecord(layer, group), kvHead);
    }
}
