/**
 * The Vector API decode-kernel provider of kvplace. Applications do not use this package directly:
 * {@code org.kvplace.core.kernel.Kernels.lookup()} finds {@link org.kvplace.kernels.VectorKernelProvider}
 * through {@link java.util.ServiceLoader}. The kernel itself lives in an internal package.
 */
package org.kvplace.kernels;
