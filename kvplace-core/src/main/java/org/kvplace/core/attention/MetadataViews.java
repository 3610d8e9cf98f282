package org.kvplace.core.attention;

import java.lang.foreign.MemorySegment;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;

/**
 * Flyweight views that let {@link DecodeKernel#scorePages} score something other than all pages of
 * a layer, unchanged (so every kernel scores them bit-identically): {@link Groups} presents a
 * layer's page groups as pages, {@link Subset} presents a list of a layer's pages as pages
 * {@code 0 .. count-1}. Only the metadata accessors are supported; page data accessors throw
 * {@link UnsupportedOperationException}. Each is re-pointed per step without allocating and
 * belongs to one thread.
 */
final class MetadataViews {

    private MetadataViews() {
    }

    /** Base: the metadata-free accessors, which scoring never calls. */
    private abstract static class MetadataOnly implements KvLayerView {
        KvLayerView layer;

        @Override
        public PageLayout layout() {
            return layer.layout();
        }

        @Override
        public int tokenCount() {
            throw new UnsupportedOperationException("metadata-only view");
        }

        @Override
        public int pageTokens(int page) {
            throw new UnsupportedOperationException("metadata-only view");
        }

        @Override
        public TierKind tier(int page) {
            throw new UnsupportedOperationException("metadata-only view");
        }

        @Override
        public MemorySegment segment(int page) {
            throw new UnsupportedOperationException("metadata-only view");
        }

        @Override
        public long offset(int page) {
            throw new UnsupportedOperationException("metadata-only view");
        }

        @Override
        public long pageHandle(int page) {
            throw new UnsupportedOperationException("metadata-only view");
        }

        @Override
        public void chargeRead(int page, long bytes) {
            throw new UnsupportedOperationException("metadata-only view");
        }
    }

    /** The page groups of a layer, as pages: page {@code g} of this view is group {@code g}. */
    static final class Groups extends MetadataOnly {
        private int count;

        /** Points this view at {@code layer}, which must keep group metadata. */
        void of(KvLayerView layer) {
            this.layer = layer;
            int g = layer.groupPages();
            this.count = Math.ceilDiv(layer.pageCount(), g);
        }

        @Override
        public int pageCount() {
            return count;
        }

        @Override
        public MemorySegment metadata() {
            return layer.groupMetadata();
        }

        @Override
        public long keyMinOffset(int page, int kvHead) {
            return layer.groupKeyMinOffset(page, kvHead);
        }

        @Override
        public long keyMaxOffset(int page, int kvHead) {
            return layer.groupKeyMaxOffset(page, kvHead);
        }
    }

    /** Pages {@code pages[0 .. count-1]} of a layer, as pages {@code 0 .. count-1}. */
    static final class Subset extends MetadataOnly {
        private int[] pages;
        private int count;

        /** Points this view at {@code pages[0 .. count-1]} of {@code layer}; keeps the array. */
        void of(KvLayerView layer, int[] pages, int count) {
            this.layer = layer;
            this.pages = pages;
            this.count = count;
        }

        @Override
        public int pageCount() {
            return count;
        }

        @Override
        public MemorySegment metadata() {
            return layer.metadata();
        }

        @Override
        public long keyMinOffset(int page, int kvHead) {
            return layer.keyMinOffset(pages[page], kvHead);
        }

        @Override
        public long keyMaxOffset(int page, int kvHead) {
            return layer.keyMaxOffset(pages[page], kvHead);
        }
    }
}
