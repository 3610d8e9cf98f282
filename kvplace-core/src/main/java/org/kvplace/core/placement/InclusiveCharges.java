package org.kvplace.core.placement;

/**
 * Implemented by the paper author's policy variants, which price their own moves the way the
 * author's simulator does ({@link org.kvplace.core.model.PaperCostModel}): a promotion's
 * charge there does not follow from the units moved (a reactive unit promoted and evicted again
 * in the same step is charged, a page transfer is charged as all layers' bytes of the page, a
 * refill is free). A driver pricing with that model asks these after each step's
 * {@link PlacementPolicy#placeNew} and {@link PlacementPolicy#plan}; other drivers ignore them.
 */
public interface InclusiveCharges {

    /** Bytes the last step's moves wrote to the fast tier, as the author's model charges them. */
    long chargedFastBytes();

    /** Bytes the last step's moves read from the slow tier beyond the step's own reads. */
    long chargedSlowReadBytes();

    /** Whether the author's model counts the last step's new KV as written to the fast tier. */
    boolean chargedNewToFast();
}
