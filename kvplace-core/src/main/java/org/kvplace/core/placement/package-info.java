/**
 * Placement: the {@link org.kvplace.core.placement.PlacementPolicy} SPI, the built-in policies
 * ({@link org.kvplace.core.placement.Policies}), and the one placement protocol both drivers
 * follow ({@link org.kvplace.core.placement.PlacementProtocol}): the simulator over a trace and the
 * live engine over the real cache.
 */
package org.kvplace.core.placement;
