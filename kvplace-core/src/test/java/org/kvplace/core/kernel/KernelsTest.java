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

    @Test
    void shouldThrowIllegalArgumentFromLookupForAnUnknownPropertyValueAndNotCacheTheFailure() throws Exception {
        var field = Kernels.class.getDeclaredField("instance");
        field.setAccessible(true);
        Object saved = field.get(null);
        String before = System.getProperty(Kernels.PROPERTY);
        try {
            field.set(null, null); // as in a fresh JVM
            System.setProperty(Kernels.PROPERTY, "no-such-kernel");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Kernels::lookup);
            assertTrue(e.getMessage().contains("kvplace.kernels=no-such-kernel"), e.getMessage());
            assertThrows(IllegalArgumentException.class, Kernels::lookup, "a second call says the same");
            System.setProperty(Kernels.PROPERTY, "scalar");
            assertSame(ScalarDecodeKernel.INSTANCE, Kernels.lookup(), "a corrected property takes effect");
            assertTrue(Kernels.lookup().toString().contains("Scalar"), Kernels.lookup().toString());
        } finally {
            if (before == null) {
                System.clearProperty(Kernels.PROPERTY);
            } else {
                System.setProperty(Kernels.PROPERTY, before);
            }
            field.set(null, saved);
        }
    }
}
