package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.kvplace.kernels.internal.panama.PanamaDecodeKernel;

/** The execution that forces a narrower species really runs with it (Vector API runs only). */
class VectorWidthTest {

    @Test
    void shouldUseTheForcedVectorWidth() {
        assumeTrue(ActiveKernelTest.vectorized(), "the scalar-fallback run has no Vector API; ActiveKernelTest "
                + "asserts that this run expects the scalar kernel");
        String forced = System.getProperty("kvplace.kernels.vectorBits");
        int lanes = PanamaDecodeKernel.lanes();
        if (forced == null) {
            assertTrue(lanes == 4 || lanes == 8 || lanes == 16, "lanes " + lanes);
        } else {
            assertEquals(Integer.parseInt(forced) / Float.SIZE, lanes);
        }
    }
}
