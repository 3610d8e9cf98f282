package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.kvplace.core.kernel.Kernels;

/** Each surefire execution names the kernel it must run on; a misconfigured run fails here. */
class ActiveKernelTest {

    static final String EXPECTED = "kvplace.test.expectedKernel";

    @Test
    void shouldRunOnTheKernelThisExecutionExpects() {
        String expected = System.getProperty(EXPECTED);
        assertNotNull(expected, "set -D" + EXPECTED + "=panama|scalar in the surefire execution");
        assertEquals(expected, Kernels.lookup().name());
        assertEquals(expected, VectorKernelProvider.provider().name());
        assertEquals(expected.equals("panama"), VectorKernelProvider.vectorized());
    }

    @Test
    void shouldHandOutOneSharedKernelOnEveryPath() {
        assertSame(VectorKernelProvider.provider(), Kernels.lookup());
        assertEquals(Kernels.lookup().name(), new VectorKernelProvider().name());
        assertEquals(Kernels.lookup().toString(), new VectorKernelProvider().toString());
    }

    static boolean vectorized() {
        return VectorKernelProvider.vectorized();
    }
}
