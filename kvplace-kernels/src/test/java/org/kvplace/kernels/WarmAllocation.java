package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/**
 * Measures the heap a decode step allocates on the calling thread once the JIT has compiled it.
 *
 * <p>Until C2 has compiled the step, the Vector API runs its Java fallback, which allocates. When
 * C2 gets there depends on what else the JVM is compiling (a test JVM has compiled hundreds of
 * methods before) and on the load of the machine, so a fixed warm-up is not enough: the step runs
 * in windows of {@link #WINDOW} calls until one window allocates nothing, for at most
 * {@link #MAX_WINDOWS} windows after the warm-up. A step that allocates in steady state never
 * gets there and fails with the allocation of its last window.
 */
final class WarmAllocation {

    static final int WARMUP = 20_000;
    static final int WINDOW = 1000;
    static final int MAX_WINDOWS = 300;

    private WarmAllocation() {}

    /** Asserts that {@code step}, once warm, allocates nothing per call on this thread. */
    static void assertNoAllocationOnceWarm(Runnable step) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count per-thread allocation");
        for (int i = 0; i < WARMUP; i++) {
            step.run();
        }
        long thread = Thread.currentThread().threadId();
        long allocated = -1;
        for (int w = 0; w < MAX_WINDOWS && allocated != 0; w++) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < WINDOW; i++) {
                step.run();
            }
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }
        // A step that allocated even one small object would show WINDOW * 16 bytes or more.
        assertEquals(0, allocated / WINDOW, "bytes allocated per step in the last of up to " + MAX_WINDOWS
                + " windows of " + WINDOW + " warm steps (" + allocated + " in all)");
    }
}
