package org.kvplace.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.testkit.kernel.TestLayer;

/**
 * A warm decode step allocates nothing on the calling thread: selection, both lanes (sequential
 * here, so that every allocation would be on this thread), merge and mass reporting; here for heads
 * of a vector multiple with four query heads per KV head (the group kernel).
 * {@link NarrowHeadAllocationTest} checks heads of 8 floats shared by two (narrower than a 512-bit
 * vector, as in stories260K), {@link TokenBlockAllocationTest} heads of 64 floats with one query head
 * each. Each class runs in a JVM of its own (the kernels pom), as a process decodes one model.
 */
class AllocationTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void shouldNotAllocatePerStepOnceWarm(ElementType type) {
        check(type, 64, 8);
    }

    /** Asserts that a warm step of sparse attention over one layer of this shape allocates nothing. */
    static void check(ElementType type, int headDim, int queryHeads) {
        // The scalar runs check the reference once; the other shapes are the vector kernel's paths.
        assumeTrue(headDim == 64 && queryHeads == 8 || ActiveKernelTest.vectorized(),
                "shape of the vector kernel's narrow and token-block paths");
        PageLayout layout = new PageLayout(16, 2, headDim, type);
        try (TestLayer layer = new TestLayer(layout, 300, 1, 0, TestLayer.Fill.UNIFORM, 0.5);
                SparseAttention attention = SparseAttention.builder(Kernels.lookup(), queryHeads, headDim, layer.pageCount())
                        .budgetTokens(128).parallelLanes(false).build()) {
            float[] q = TestLayer.query(queryHeads, headDim, 1, 1f);
            float[] out = new float[q.length];
            WarmAllocation.assertNoAllocationOnceWarm(() -> attention.attend(layer, q, out));
        }
    }
}
