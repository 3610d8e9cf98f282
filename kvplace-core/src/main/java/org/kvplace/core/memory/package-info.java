/**
 * The two memory tiers: a {@link org.kvplace.core.memory.TierSlab} owns one shared arena and one
 * slab of equal page slots, and hands out a read-only {@link org.kvplace.core.memory.Tier} view of
 * itself (what a cache shows its users); a slow tier charges every read and write to a
 * {@link org.kvplace.core.memory.BandwidthThrottle} per direction, so that a plain CPU emulates the
 * bandwidth ratio of a fast and a slow memory. The lowest layer of kvplace-core.
 */
package org.kvplace.core.memory;
