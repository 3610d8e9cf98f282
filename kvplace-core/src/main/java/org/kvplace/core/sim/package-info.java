/**
 * The simulator: replays an {@link org.kvplace.core.trace.AccessTrace} through a {@link
 * org.kvplace.core.placement.PlacementPolicy} under a {@link org.kvplace.core.model.CostModel},
 * with the all-fast and balanced-bound references computed alongside, and the annealing search
 * over the oracle's {@code (Wn, R)} that yields the oracle bound.
 */
package org.kvplace.core.sim;
