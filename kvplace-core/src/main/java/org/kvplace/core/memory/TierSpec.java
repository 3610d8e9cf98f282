package org.kvplace.core.memory;

import java.util.Objects;

/**
 * Configuration of one {@link Tier}: its slot size and count and, for a slow tier, its bandwidth.
 *
 * @param kind which tier this is
 * @param slotBytes bytes per page slot, positive
 * @param slots number of page slots, positive
 * @param bytesPerSecond bandwidth the tier is throttled to, in bytes per second, or
 *     {@link Double#POSITIVE_INFINITY} for an unthrottled tier
 */
public record TierSpec(TierKind kind, long slotBytes, int slots, double bytesPerSecond) {

    /** Validates the spec; every message names the bad value. */
    public TierSpec {
        Objects.requireNonNull(kind, "kind");
        if (slotBytes <= 0) {
            throw new IllegalArgumentException("slotBytes must be positive, got " + slotBytes);
        }
        if (slots <= 0) {
            throw new IllegalArgumentException("slots must be positive, got " + slots + " for tier " + kind);
        }
        if (!(bytesPerSecond > 0)) {
            throw new IllegalArgumentException(
                    "bytesPerSecond must be positive (or infinite for no throttle), got " + bytesPerSecond);
        }
    }

    /** An unthrottled tier. */
    public static TierSpec unthrottled(TierKind kind, long slotBytes, int slots) {
        return new TierSpec(kind, slotBytes, slots, Double.POSITIVE_INFINITY);
    }

    /** Whether transfers on this tier are throttled. */
    public boolean throttled() {
        return !Double.isInfinite(bytesPerSecond);
    }
}
