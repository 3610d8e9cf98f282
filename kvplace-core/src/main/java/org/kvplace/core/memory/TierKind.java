package org.kvplace.core.memory;

/** The two memory tiers of a kvplace cache. */
public enum TierKind {
    /** The small, fast tier (stands for HBM): capacity-limited, not throttled. */
    FAST,
    /** The large, slow tier (stands for LPDDR5X behind a chip-to-chip link): bandwidth-throttled. */
    SLOW;

    /** Returns the other tier. */
    public TierKind other() {
        return this == FAST ? SLOW : FAST;
    }
}
