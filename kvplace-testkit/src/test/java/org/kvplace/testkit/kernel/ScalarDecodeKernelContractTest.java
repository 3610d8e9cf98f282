package org.kvplace.testkit.kernel;

import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;

/** The scalar reference kernel keeps the kernel contract (against the two-pass oracle; against itself trivially). */
class ScalarDecodeKernelContractTest extends DecodeKernelContract {

    @Override
    protected DecodeKernel kernel() {
        return Kernels.scalar();
    }
}
