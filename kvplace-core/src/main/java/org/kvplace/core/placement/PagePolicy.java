package org.kvplace.core.placement;

import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * The paper's {@code page} baseline: Quest-like pages of {@link #PAGE_TOKENS} tokens, moved with
 * perfect knowledge of the next step's pages.
 *
 * <p>After a step of layer {@code l} at position {@code n}, every page that step {@code (n+1, l)}
 * will read and that sits in the slow tier is promoted. Room comes from demoting the oldest
 * pages of the same layer (lowest page index first) that step {@code (n+1, l)} does not read;
 * when none is left, the remaining pages stay slow. New pages go to the fast tier while it has
 * room, else to the slow tier (the next step's promotion brings them in if they are read).
 * On a token trace the driver chooses which pages a step reads (the simulator: Quest-style,
 * the pages holding the most read tokens within the step's token budget). No allocation per step.
 */
public final class PagePolicy implements PlacementPolicy {

    /** Tokens per page. */
    public static final int PAGE_TOKENS = 16;

    /** Creates the policy. */
    public PagePolicy() {}

    @Override
    public String name() {
        return "page";
    }

    @Override
    public int granularityTokens() {
        return PAGE_TOKENS;
    }

    @Override
    public int lookahead() {
        return 1;
    }

    @Override
    public void start(Placement placement) {
        // no state beyond the placement
    }

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        return placement.fastFreeBytes() >= placement.unitBytes();
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        int layer = reads.layer();
        long[] nextReads = future.futureReads(layer, 1);
        if (nextReads == null) {
            return;
        }
        long[] f = placement.fastBits(layer);
        int units = placement.units(layer);
        int words = Bits.words(units);
        long lastMask = (units & 63) == 0 ? -1L : (1L << units) - 1;
        long free = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        int evictWord = 0;
        long evictable = words > 0 ? f[0] & ~nextReads[0] : 0;
        for (int w = 0; w < words; w++) {
            long want = nextReads[w] & ~f[w];
            if (w == words - 1) {
                want &= lastMask;
            }
            while (want != 0) {
                int id = (w << 6) + Long.numberOfTrailingZeros(want);
                want &= want - 1;
                while (free < ub) {
                    while (evictable == 0 && ++evictWord < words) {
                        evictable = f[evictWord] & ~nextReads[evictWord];
                    }
                    if (evictable == 0) {
                        return;
                    }
                    plan.demote(layer, (evictWord << 6) + Long.numberOfTrailingZeros(evictable));
                    evictable &= evictable - 1;
                    free += ub;
                }
                plan.promote(layer, id);
                free -= ub;
            }
        }
    }
}
