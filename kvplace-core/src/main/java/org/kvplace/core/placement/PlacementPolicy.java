package org.kvplace.core.placement;

import org.kvplace.core.trace.StepReads;

/**
 * Decides where KV units live: the one placement SPI of kvplace, driven step by step by the
 * simulator and by the live cache's placement engine alike.
 *
 * <p>Protocol, per run: {@link #start} once; then {@link #placeNew} for every unit as it is
 * created (the prompt's units first, in order, then one each time a decode token opens a new
 * unit); and after every step's reads {@link #plan}. A policy writes its moves into the plan it
 * is handed; the driver applies them (demotions first) and fails with an exception if a move is
 * impossible or overflows the fast tier, so a policy must keep within
 * {@link Placement#fastFreeBytes()}. Units are {@code (layer, id)} pairs of equal size; ids are
 * tokens or pages, whichever the driver uses (see {@link #granularityTokens()}).
 *
 * <p>Implementations are single-threaded, keep their state in primitive arrays sized in
 * {@link #start}, and allocate nothing per step. A policy instance serves one run at a time;
 * {@link #start} resets it for the next.
 */
public interface PlacementPolicy {

    /** A short name for reports ({@code static}, {@code reactive}, ...). */
    String name();

    /**
     * The policy's parameters for reports, appended to its {@link #name()}: for example
     * {@code (Wn=32, R=0.85)} for an oracle. Default: empty (a policy without parameters).
     */
    default String parameters() {
        return "";
    }

    /**
     * The unit size this policy wants, in tokens, or 0 to use the driver's unit. A driver whose
     * units are finer coarsens the reads (a read of any token of a unit reads the whole unit).
     */
    default int granularityTokens() {
        return 0;
    }

    /** How many decode tokens ahead this policy reads through {@link Lookahead}; 0 = online. */
    default int lookahead() {
        return 0;
    }

    /** Resets the policy for a run over {@code placement} (all layers empty). */
    void start(Placement placement);

    /**
     * Chooses the tier of a unit that is being created. The policy may add demotions to
     * {@code plan} to make room; the driver applies them before placing the unit. During the
     * prompt {@code future} is {@link Lookahead#NONE}; during decoding it is relative to the
     * step that creates the unit.
     *
     * @return true to place it in the fast tier (then it must fit after the plan's demotions)
     */
    boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan);

    /**
     * Plans the moves after a step's reads. Bytes moved here are charged to this step.
     *
     * @param reads     the units the step read (a reused buffer)
     * @param future    future reads, or {@link Lookahead#NONE} for an online driver
     * @param placement where units sit now
     * @param plan      an empty plan to fill
     */
    void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan);

    /**
     * Tells the policy that a unit sits in another tier than it planned: a live driver could not
     * carry out a move (the target tier was full, the page was freed), or put a new unit in the
     * other tier because the chosen one was full. {@code placement} already shows the unit where it
     * is. Policies that keep their own record of the fast set update it here; the default does
     * nothing. The simulator never calls it.
     *
     * @param layer the unit's layer
     * @param unit the unit's id
     * @param fast whether the unit is in the fast tier now
     */
    default void placementChanged(int layer, int unit, boolean fast) {}
}
