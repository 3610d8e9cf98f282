package org.kvplace.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;

/**
 * A layer of random keys and values in the page layout of a real call, for the warm-up trial of
 * {@link WarmStartKernel}: {@code pages} pages, the last one filled to a settable number of tokens
 * (so that the kernels' tails run too), every page in the fast tier, key bounds that hold the keys. Its memory is an automatic
 * arena's (freed when the layer is unreachable): the trial may end with the program.
 */
final class SyntheticLayer implements KvLayerView {

    private final Arena arena = Arena.ofAuto();
    private final PageLayout layout;
    private final int pages;
    private int lastTokens;
    private final MemorySegment data;
    private final MemorySegment meta;

    SyntheticLayer(PageLayout layout, int pages, long seed) {
        this.layout = layout;
        this.pages = pages;
        this.lastTokens = Math.max(1, layout.pageTokens() / 2 + 1);
        this.data = arena.allocate(pages * layout.pageBytes(), 64);
        this.meta = arena.allocate((long) pages * layout.kvHeads() * 2 * layout.headDim() * Float.BYTES, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        long elements = data.byteSize() / layout.elementType().bytes();
        for (long i = 0; i < elements; i++) {
            layout.elementType().store(data, i * layout.elementType().bytes(), (float) (rnd.nextDouble() * 2 - 1));
        }
        for (int p = 0; p < pages; p++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                for (int d = 0; d < layout.headDim(); d++) {
                    meta.set(ValueLayout.JAVA_FLOAT, keyMinOffset(p, h) + (long) d * Float.BYTES, -1f);
                    meta.set(ValueLayout.JAVA_FLOAT, keyMaxOffset(p, h) + (long) d * Float.BYTES, 1f);
                }
            }
        }
    }

    /** Tokens in the last page. */
    int lastTokens() {
        return lastTokens;
    }

    /** Sets the tokens in the last page, 1 to the page size (the page holds data for all). */
    void lastTokens(int tokens) {
        assert tokens >= 1 && tokens <= layout.pageTokens() : tokens;
        lastTokens = tokens;
    }

    @Override
    public PageLayout layout() {
        return layout;
    }

    @Override
    public int pageCount() {
        return pages;
    }

    @Override
    public int tokenCount() {
        return (pages - 1) * layout.pageTokens() + lastTokens;
    }

    @Override
    public int pageTokens(int page) {
        return page == pages - 1 ? lastTokens : layout.pageTokens();
    }

    @Override
    public TierKind tier(int page) {
        return TierKind.FAST;
    }

    @Override
    public MemorySegment segment(int page) {
        return data;
    }

    @Override
    public long offset(int page) {
        return page * layout.pageBytes();
    }

    @Override
    public long pageHandle(int page) {
        return page;
    }

    @Override
    public void chargeRead(int page, long bytes) {
        // nothing is throttled or counted in a trial
    }

    @Override
    public MemorySegment metadata() {
        return meta;
    }

    @Override
    public long keyMinOffset(int page, int kvHead) {
        return ((long) page * layout.kvHeads() + kvHead) * 2 * layout.headDim() * Float.BYTES;
    }

    @Override
    public long keyMaxOffset(int page, int kvHead) {
        return keyMinOffset(page, kvHead) + (long) layout.headDim() * Float.BYTES;
    }
}
