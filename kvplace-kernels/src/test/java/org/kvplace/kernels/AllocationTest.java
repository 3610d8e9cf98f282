package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvplace.core.cache.ElementType;
import org.kvplace.core.cache.PageLayout;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.kernel.SparseAttention;

/**
 * A warm decode step allocates nothing on the calling thread: selection, both lanes (sequential
 * here, so that every allocation would be on this thread), merge and mass reporting.
 */
class AllocationTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void shouldNotAllocatePerStepOnceWarm(ElementType type) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count per-thread allocation");
        PageLayout layout = new PageLayout(16, 2, 64, type);
        try (TestLayer layer = new TestLayer(layout, 300, 1, 0, TestLayer.Fill.UNIFORM, 0.5);
                SparseAttention attention = new SparseAttention(Kernels.lookup(), 8, 64, layer.pageCount(), 128,
                        false)) {
            float[] q = TestLayer.query(8, 64, 1, 1f);
            float[] out = new float[q.length];
            // Warm up until the JIT has compiled the step (the Vector API boxes vectors until C2 runs).
            for (int i = 0; i < 20_000; i++) {
                attention.attend(layer, q, out);
            }
            long thread = Thread.currentThread().threadId();
            long before = threads.getThreadAllocatedBytes(thread);
            int steps = 1000;
            for (int i = 0; i < steps; i++) {
                attention.attend(layer, q, out);
            }
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            // A step that allocated even one small object would show steps * 16 bytes or more.
            assertEquals(0, allocated / steps, "bytes allocated per step (" + allocated + " over " + steps + " steps)");
        }
    }
}
