package org.kvplace.core.placement;

/**
 * Future reads, for policies that are allowed to know them (the oracle, the page baseline).
 * Served by the driver from a bounded look-ahead buffer: at most {@link PlacementPolicy#lookahead()}
 * decode tokens ahead of the current step. An online driver (the live cache) offers none.
 * Not thread-safe; arrays are read-only views valid only during the call.
 */
public interface Lookahead {

    /** A lookahead with no future: every query answers {@code null}. */
    Lookahead NONE = (layer, ahead) -> null;

    /**
     * The read set of {@code layer} at {@code ahead} decode tokens after the current one (1 =
     * the next token), as bit words over unit ids, or {@code null} if that step is beyond the
     * trace or beyond the buffer.
     */
    long[] futureReads(int layer, int ahead);
}
