package org.kvplace.kernels;

import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.testkit.kernel.DecodeKernelContract;

/**
 * The kernel {@link Kernels#lookup()} hands out keeps the kernel contract: the Vector API kernel in the
 * runs with the incubator module (at every forced width), the scalar fallback in the others
 * ({@link ActiveKernelTest} checks which one is active).
 */
class ActiveKernelContractTest extends DecodeKernelContract {

    @Override
    protected DecodeKernel kernel() {
        return Kernels.lookup();
    }
}
