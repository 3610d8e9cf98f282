package org.kvplace.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.testkit.kernel.TestLayer;

/**
 * A warm decode step allocates nothing on the calling thread: selection, both lanes (sequential
 * here, so that every allocation would be on this thread), merge and mass reporting.
 */
class AllocationTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void shouldNotAllocatePerStepOnceWarm(ElementType type) {
        PageLayout layout = new PageLayout(16, 2, 64, type);
        try (TestLayer layer = new TestLayer(layout, 300, 1, 0, TestLayer.Fill.UNIFORM, 0.5);
                SparseAttention attention = new SparseAttention(Kernels.lookup(), 8, 64, layer.pageCount(), 128,
                        false)) {
            float[] q = TestLayer.query(8, 64, 1, 1f);
            float[] out = new float[q.length];
            WarmAllocation.assertNoAllocationOnceWarm(() -> attention.attend(layer, q, out));
        }
    }
}
