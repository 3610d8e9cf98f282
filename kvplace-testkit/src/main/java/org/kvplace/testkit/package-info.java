/**
 * kvplace's test kit: the fixtures tests share and the contract tests every implementation of an SPI
 * runs. Test scope only, not product API.
 *
 * <p>Where it sits in the build: the kit depends on {@code kvplace-core} (its fixtures implement
 * core's SPIs), so core's own tests cannot depend on it without a reactor cycle. Hence:
 * <ul>
 *   <li>{@code kvplace-testkit/src/main}: the fixtures ({@link org.kvplace.testkit.kernel.TestLayer},
 *       {@link org.kvplace.testkit.kernel.Oracle}, {@link org.kvplace.testkit.kernel.Tolerance},
 *       {@link org.kvplace.testkit.placement.ChaosPolicy}, the {@link
 *       org.kvplace.testkit.placement.ProtocolRun} driver) and the abstract contracts
 *       ({@link org.kvplace.testkit.kernel.DecodeKernelContract},
 *       {@link org.kvplace.testkit.placement.PlacementPolicyContract});</li>
 *   <li>{@code kvplace-testkit/src/test}: the contract tests of core's own implementations (the
 *       scalar kernel, every built-in policy) and the core tests that use the fixtures;</li>
 *   <li>{@code kvplace-kernels} and {@code examples} take the kit at test scope: the Vector API
 *       kernel runs the kernel contract in each of kvplace-kernels' surefire runs.</li>
 * </ul>
 * A new kernel or policy gets its contract by one small subclass. Core's tests that need no fixture
 * (and the jqwik property tests of core's exact oracles) stay in core.
 *
 * <p>No {@code module-info}: a modular project's test-scope dependencies go on the class path (the
 * compiler and surefire patch the tests into the main module and let it read the unnamed module),
 * so a descriptor would never be in effect; the jar names the automatic module
 * {@code org.kvplace.testkit}.
 */
package org.kvplace.testkit;
