/**
 * The Vector API implementation behind {@link org.kvplace.kernels.VectorKernelProvider} and
 * {@link org.kvplace.kernels.MatVec}: the decode kernel, its per-operation parts (dot products,
 * softmax, weighted row sums, page bounds, half-float widening), the matrix-vector products, and
 * the read-bandwidth baseline and stream probes of the benchmarks. The only package of kvplace that
 * imports {@code jdk.incubator.vector}; its classes are loaded by name and only when that module is
 * present.
 *
 * <p><b>Note:</b> not API. The package is exported to {@code org.kvplace.bench} alone, is left out
 * of the published Javadoc, and may change in any release.
 */
package org.kvplace.kernels.internal.panama;
