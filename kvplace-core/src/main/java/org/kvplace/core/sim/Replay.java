package org.kvplace.core.sim;

import java.util.Objects;

/**
 * One replay of a trace through a policy, with the references computed over the same trace in
 * the same pass: what {@link Simulator#replay} and {@link PaperSimulator#replay} return. Each
 * replay carries its own references, so nothing is kept from one run to the next.
 *
 * @param result    the policy's replay
 * @param allFast   the all-fast reference of the same trace ({@code all-fast} or
 *                  {@code paper-all-fast})
 * @param bound     the bound of the same trace: the balanced bound ({@code balanced-bound}) in
 *                  kvplace's model, the author's bound ({@code paper-bound}) in the paper's
 * @param steps     steps replayed
 * @param wallNanos wall time of the replay, nanoseconds
 */
public record Replay(SimulationResult result, SimulationResult allFast, SimulationResult bound, long steps,
        long wallNanos) {

    /**
     * Checks the components.
     *
     * @throws NullPointerException if a result is null
     * @throws IllegalArgumentException if {@code steps} or {@code wallNanos} is negative
     */
    public Replay {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(allFast, "allFast");
        Objects.requireNonNull(bound, "bound");
        if (steps < 0 || wallNanos < 0) {
            throw new IllegalArgumentException("steps=" + steps + " and wallNanos=" + wallNanos + " must be >= 0");
        }
    }

    /** Simulated steps per second of wall time. */
    public double stepsPerSecond() {
        return steps / (wallNanos / 1e9);
    }
}
