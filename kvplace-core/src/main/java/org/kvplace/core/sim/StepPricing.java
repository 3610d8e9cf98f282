package org.kvplace.core.sim;

import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

/**
 * What differs between the two simulators: how a step and its moves are priced, and the
 * references. {@link ReplayLoop} drives the protocol and the accounting; one instance of this
 * prices one replay (it may keep per-replay state) and allocates nothing per step.
 */
interface StepPricing {

    /** Checks the trace before anything runs (after the layer count was checked). */
    default void check(TraceHeader header) {}

    /** Resets the per-step charges; called at the start of every step. */
    default void startStep() {}

    /**
     * Notes a plan the driver has just applied within the step (the new unit's, then the
     * reads'), before the next one overwrites it.
     */
    default void planned(MigrationPlan plan, TraceStep step, int layer, long unitBytes) {}

    /**
     * The step's time, seconds; afterwards {@link #migratedBytes()} is the step's moved bytes.
     *
     * @param newFast whether the unit holding the step's token sits in the fast tier
     */
    double stepTime(long readBytes, long readFast, long writeBytes, boolean newFast, int promoted, int demoted,
            long unitBytes);

    /** Bytes promoted plus demoted in the step last priced. */
    long migratedBytes();

    /** The all-fast reference's time of a step reading {@code fineBytes} of KV. */
    double allFastStepTime(long fineBytes, long writeBytes);

    /** The bound's time of a step reading {@code fineBytes} of KV. */
    double boundStepTime(long fineBytes, long writeBytes);

    /** The bound's fast-tier KV bytes of such a step. */
    double boundFastBytes(long fineBytes, long writeBytes);

    /** The all-fast reference's name. */
    String allFastName();

    /** The bound's name. */
    String boundName();

    /** The model priced. */
    ModelProfile model();

    /** The fast tier's KV capacity, bytes (negative: none). */
    long fastKvCapacity();
}
