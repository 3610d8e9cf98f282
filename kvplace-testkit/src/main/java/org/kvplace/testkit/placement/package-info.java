/**
 * Placement fixtures: in-memory scenarios, a checking driver of the placement protocol, a chaos
 * policy, and the contract every {@link org.kvplace.core.placement.PlacementPolicy} runs
 * ({@link org.kvplace.testkit.placement.PlacementPolicyContract}).
 */
package org.kvplace.testkit.placement;
