/**
 * Kernel fixtures: a {@link org.kvplace.core.kernel.KvLayerView} over drawn test data
 * ({@link org.kvplace.testkit.kernel.TestLayer}), the double-precision two-pass attention oracle, the
 * float tolerance between kernels, and the contract every {@link org.kvplace.core.kernel.DecodeKernel}
 * runs ({@link org.kvplace.testkit.kernel.DecodeKernelContract}).
 */
package org.kvplace.testkit.kernel;
