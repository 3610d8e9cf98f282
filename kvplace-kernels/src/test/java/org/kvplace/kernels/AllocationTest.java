package org.kvplace.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.testkit.kernel.TestLayer;

/**
 * A warm decode step allocates nothing on the calling thread: selection, both lanes (sequential
 * here, so that every allocation would be on this thread), merge and mass reporting; for heads of
 * a vector multiple with four query heads per KV head, heads of 8 floats shared by two (narrower
 * than a 512-bit vector, as in stories260K) and heads of 64 floats with one query head each.
 */
class AllocationTest {

    static Stream<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        for (ElementType type : ElementType.values()) {
            list.add(Arguments.of(type, 64, 8));
            list.add(Arguments.of(type, 8, 4));
            list.add(Arguments.of(type, 64, 2));
        }
        return list.stream();
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void shouldNotAllocatePerStepOnceWarm(ElementType type, int headDim, int queryHeads) {
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
