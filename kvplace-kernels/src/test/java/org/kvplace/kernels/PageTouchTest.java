package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;
import org.kvplace.testkit.kernel.TestLayer;
import org.kvplace.testkit.kernel.Tolerance;

/**
 * The Vector API kernel touches each page's successor ahead of its arithmetic when a layer's KV
 * passes 1 MiB. Here every page is a segment of its own, exactly its slot, so a touch (or any
 * read) past a slot fails; the output must match the scalar reference over the one segment the
 * pages share, within the equivalence suite's tolerance (the Vector API's cold and compiled code
 * may differ in the last bit, so two calls are not compared bit for bit). The slot sizes include
 * ones that are not a multiple of a cache line (68 and 36 bytes), where the last line is partial.
 */
class PageTouchTest {

    private static final DecodeKernel KERNEL = Kernels.lookup();

    @ParameterizedTest(name = "{0} tokens per page, {1} KV heads of {2}, {3}")
    @CsvSource({
        "16, 4, 64, F32, 1024",   // 32 KiB pages, 2 MiB: the 1B shape's layout
        "1, 1, 17, F16, 16384",   // 68-byte pages, 1.1 MB
        "1, 1, 9, F16, 32768",    // 36-byte pages (shorter than a line), 1.2 MB
    })
    void shouldReadOnlyInsideEachPagesSlot(int pageTokens, int kvHeads, int headDim, ElementType type, int tokens) {
        PageLayout layout = new PageLayout(pageTokens, kvHeads, headDim, type);
        assertTrue((long) Math.ceilDiv(tokens, pageTokens) * layout.pageBytes() >= 1 << 20, "the touch must be on");
        int queryHeads = kvHeads * 8;
        float[] q = TestLayer.query(queryHeads, headDim, 11, 1f);
        try (TestLayer shared = new TestLayer(layout, tokens, 5, 0, TestLayer.Fill.UNIFORM, 0)) {
            float[] expected = new float[queryHeads * headDim];
            Kernels.scalar().attend(shared, q, expected, null, shared.pageCount());
            float[] got = new float[queryHeads * headDim];
            KERNEL.attend(new SlotPerSegment(shared), q, got, null, shared.pageCount());
            int[] all = TestLayer.allPages(shared.pageCount());
            Tolerance.assertClose(expected, got, Tolerance.of(shared, q, all, all.length), "pages in their own segments");
        }
    }

    /** A layer whose every page is a segment of exactly its slot, sliced from another layer's. */
    private record SlotPerSegment(TestLayer layer) implements KvLayerView {

        @Override
        public PageLayout layout() {
            return layer.layout();
        }

        @Override
        public int pageCount() {
            return layer.pageCount();
        }

        @Override
        public int tokenCount() {
            return layer.tokenCount();
        }

        @Override
        public int pageTokens(int page) {
            return layer.pageTokens(page);
        }

        @Override
        public TierKind tier(int page) {
            return layer.tier(page);
        }

        @Override
        public MemorySegment segment(int page) {
            return layer.segment(page).asSlice(layer.offset(page), layer.layout().pageBytes());
        }

        @Override
        public long offset(int page) {
            return 0;
        }

        @Override
        public long pageHandle(int page) {
            return layer.pageHandle(page);
        }

        @Override
        public void chargeRead(int page, long bytes) {
            layer.chargeRead(page, bytes);
        }

        @Override
        public MemorySegment metadata() {
            return layer.metadata();
        }

        @Override
        public long keyMinOffset(int page, int kvHead) {
            return layer.keyMinOffset(page, kvHead);
        }

        @Override
        public long keyMaxOffset(int page, int kvHead) {
            return layer.keyMaxOffset(page, kvHead);
        }
    }
}
