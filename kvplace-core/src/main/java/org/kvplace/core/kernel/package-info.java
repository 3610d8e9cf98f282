/**
 * The decode-kernel SPI: {@link org.kvplace.core.kernel.DecodeKernel} (page-bound scoring and
 * attention over a layer's pages, producing a partial softmax
 * {@link org.kvplace.core.kernel.AttentionState}), its scalar reference
 * {@link org.kvplace.core.kernel.ScalarDecodeKernel}, and {@link org.kvplace.core.kernel.Kernels#lookup()},
 * which finds the Vector API kernel of {@code org.kvplace.kernels} when it can run.
 */
package org.kvplace.core.kernel;
