/**
 * The tiered, paged KV cache: {@link org.kvplace.core.cache.TieredKvCache} owns both tiers, the
 * page table and the per-page key bounds; a {@link org.kvplace.core.cache.Sequence} appends and
 * attends; pages migrate between the tiers without a reader ever seeing a half-copied page.
 */
package org.kvplace.core.cache;
