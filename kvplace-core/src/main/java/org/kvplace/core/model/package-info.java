/**
 * The analytical cost model of tiered KV placement: hardware and model profiles, the per-step
 * time of DESIGN section 2 ({@link org.kvplace.core.model.CostModel}) and its two references,
 * all-fast and the balanced bound. All sizes are bytes, all bandwidths bytes per second, all
 * times seconds.
 */
package org.kvplace.core.model;
