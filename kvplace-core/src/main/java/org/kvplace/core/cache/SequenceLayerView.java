package org.kvplace.core.cache;

import java.lang.foreign.MemorySegment;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.memory.TierSlab;

/**
 * Flyweight view of one layer of a {@link Sequence} for kernels: one per layer, made when the
 * sequence is, so attending allocates nothing. Valid under the sequence's read lock, which keeps
 * the layer's pages from moving or changing under the kernel. Each layer has two: the default view
 * and its {@link #slowCopies()} twin, which answers a page's slow copy where it has one.
 */
final class SequenceLayerView implements KvLayerView {

    private final SequencePages pages;
    private final PageTable table;
    private final KeyBounds bounds;
    private final PageLayout layout;
    private final int layer;
    private final TierSlab slowSlab;
    private final SequenceLayerView slowCopies;
    private final boolean preferSlow;

    SequenceLayerView(SequencePages pages, PageTable table, KeyBounds bounds, PageLayout layout, int layer) {
        this.pages = pages;
        this.table = table;
        this.bounds = bounds;
        this.layout = layout;
        this.layer = layer;
        this.slowSlab = table.slab(TierKind.SLOW);
        this.preferSlow = false;
        this.slowCopies = new SequenceLayerView(this);
    }

    /** The twin of {@code view} that reads pages with a slow copy from it. */
    private SequenceLayerView(SequenceLayerView view) {
        this.pages = view.pages;
        this.table = view.table;
        this.bounds = view.bounds;
        this.layout = view.layout;
        this.layer = view.layer;
        this.slowSlab = view.slowSlab;
        this.preferSlow = true;
        this.slowCopies = this;
    }

    private int index(int page) {
        return pages.index(layer, page);
    }

    /** Whether this view reads page {@code index} from its slow copy. */
    private boolean fromSlowCopy(int index) {
        return preferSlow && table.hasSlowCopy(index);
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
        int index = index(page);
        return fromSlowCopy(index) ? TierKind.SLOW : table.tierKindAt(index);
    }

    @Override
    public boolean hasSlowCopy(int page) {
        return table.hasSlowCopy(index(page));
    }

    @Override
    public KvLayerView slowCopies() {
        return slowCopies;
    }

    @Override
    public MemorySegment segment(int page) {
        int index = index(page);
        return fromSlowCopy(index) ? slowSlab.slab() : table.tierAt(index).slab();
    }

    @Override
    public long offset(int page) {
        int index = index(page);
        return fromSlowCopy(index) ? table.slowCopyOffset(index) : table.offsetAt(index);
    }

    @Override
    public long pageHandle(int page) {
        return pages.handle(layer, page);
    }

    @Override
    public void chargeRead(int page, long bytes) {
        int index = index(page);
        (fromSlowCopy(index) ? slowSlab : table.tierAt(index)).chargeRead(bytes);
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
