package org.kvplace.core.kernel;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelsTest {

    @Test
    void shouldRejectAnUnknownKernelNameAndListTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.load("bogus"));
        assertTrue(e.getMessage().contains("bogus") && e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void shouldFallBackToTheScalarReferenceInCore() {
        // kvplace-core alone provides no vectorised kernel.
        assertSame(ScalarDecodeKernel.INSTANCE, Kernels.load("scalar"));
        assertSame(ScalarDecodeKernel.INSTANCE, Kernels.load("auto"));
        assertThrows(IllegalArgumentException.class, () -> Kernels.load("panama"));
    }
}
