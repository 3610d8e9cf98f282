package org.kvplace.core.sim;

/**
 * A progress listener that is also told the policy's modelled time so far: what the annealing
 * search extrapolates a running replay's total from.
 */
interface TimedProgress extends ProgressListener {

    /** {@code done} of {@code total} steps are replayed; the policy's modelled time so far. */
    void progress(long done, long total, double timeSoFar);

    @Override
    default void progress(long done, long total) {
        throw new UnsupportedOperationException("a timed listener is told the time too");
    }
}
