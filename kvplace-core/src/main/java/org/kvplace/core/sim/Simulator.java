package org.kvplace.core.sim;

import java.io.IOException;
import java.util.Objects;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.PlacementState;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceSource;

/**
 * Replays a trace through a placement policy and prices every step with the {@link CostModel}.
 *
 * <p>Per run: the prompt's units are created first (unit by unit, all layers of a unit in turn,
 * through {@link PlacementPolicy#placeNew}); then for each step {@code (n, l)} the reads are
 * priced against the placement before the step, the unit holding token {@code n} is created if
 * {@code n} opens one, the policy plans, and the plan is applied and charged to the step.
 *
 * <p>A policy with a coarser granularity than the trace (the page baseline on a token trace)
 * sees the reads selected Quest-style: the units holding the most read tokens, as many as the
 * step's token budget fills ({@code ceil(reads / factor)} units, ties toward newer units). It
 * thus reads as many bytes as the token policies but not the same tokens; what that costs in
 * model quality is outside the cost model. The all-fast and balanced-bound references are computed from the
 * trace's own granularity in the same pass and returned with the policy's result in a {@link Replay}.
 *
 * <p><b>Batch:</b> one trace stands for every sequence of {@link ModelProfile#batch()}: KV
 * bytes, hits and moves are multiplied by the batch, the weights are read once per step, and
 * the fast tier's KV room is shared. <b>Invariants</b> checked at every step, failing with a
 * message naming the step: the trace's steps come in order with ids below the units that
 * exist and layers within the model, and the policy never overflows the fast tier (enforced
 * by {@link PlacementState}). Memory: the placement, the policy's state and a look-ahead ring
 * of {@code (lookahead + 1) * layers} steps; nothing is allocated per step.
 *
 * <p>A simulator keeps nothing of a replay: each {@link #replay} returns its references, step count
 * and wall time. Replays of one instance may run at once on several threads (each has its own
 * state; the annealing search does so); setting the listener while they run is not safe. A trace
 * of 16,384 steps or more is read ahead on a second thread while the policy runs, unless it is
 * held in memory (same steps, same results; the trace is left open, positioned at its end).
 */
public final class Simulator {

    private final CostModel cost;
    private final ModelProfile model;
    private ProgressListener progress = ProgressListener.NONE;

    /**
     * A simulator for one profile and one model.
     *
     * @throws IllegalArgumentException if the model's weights exceed the fast tier
     */
    public Simulator(HardwareProfile hw, ModelProfile model) {
        this.cost = new CostModel(hw, model);
        this.model = model;
    }

    /** The cost model in use. */
    public CostModel costModel() {
        return cost;
    }

    /** Sets the listener told about progress (default: none). Returns this. */
    public Simulator progress(ProgressListener listener) {
        this.progress = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Opens the source and replays it; the policy's result of {@link #replay(TraceSource,
     * PlacementPolicy)}.
     *
     * @throws IOException if the trace cannot be read
     */
    public SimulationResult run(TraceSource source, PlacementPolicy policy) throws IOException {
        return replay(source, policy).result();
    }

    /**
     * Replays {@code trace} (from its first step) through {@code policy}; the policy's result of
     * {@link #replay(AccessTrace, PlacementPolicy)}.
     *
     * @throws IllegalArgumentException as {@link #replay(AccessTrace, PlacementPolicy)}
     * @throws IllegalStateException as {@link #replay(AccessTrace, PlacementPolicy)}
     * @throws IOException if the trace cannot be read
     */
    public SimulationResult run(AccessTrace trace, PlacementPolicy policy) throws IOException {
        return replay(trace, policy).result();
    }

    /**
     * Opens the source and replays it, with the references.
     *
     * @throws IOException if the trace cannot be read
     */
    public Replay replay(TraceSource source, PlacementPolicy policy) throws IOException {
        return replay(source, policy, progress);
    }

    // A replay that reports to `listener` instead of the simulator's listener.
    Replay replay(TraceSource source, PlacementPolicy policy, ProgressListener listener) throws IOException {
        try (AccessTrace t = source.open()) {
            return ReplayLoop.run(t, policy, new Pricing(), listener);
        }
    }

    ProgressListener progressListener() {
        return progress;
    }

    /**
     * Replays {@code trace} (from its first step) through {@code policy}, with the all-fast
     * ({@code all-fast}) and balanced-bound ({@code balanced-bound}) references of the same trace.
     *
     * @throws IllegalArgumentException if the trace has fewer layers than the model, a unit size
     *         the policy's granularity is not a multiple of, or more KV than the tiers hold
     *         ({@link CostModel#checkFits})
     * @throws IllegalStateException naming the step, if the trace is out of order, reads units
     *         that do not exist or layers beyond the model, or the policy breaks the placement rules
     * @throws IOException if the trace cannot be read
     */
    public Replay replay(AccessTrace trace, PlacementPolicy policy) throws IOException {
        return ReplayLoop.run(trace, policy, new Pricing(), progress);
    }

    /** kvplace's cost model: moves charged in full to both tiers. */
    private final class Pricing implements StepPricing {
        private long migrated;

        @Override
        public void check(TraceHeader header) {
            cost.checkFits((long) header.promptTokens() + header.decodeTokens());
        }

        @Override
        public double stepTime(long readBytes, long readFast, long writeBytes, boolean newFast, int promoted,
                int demoted, long unitBytes) {
            long pb = promoted * unitBytes;
            long eb = demoted * unitBytes;
            migrated = pb + eb;
            return cost.stepTime(readBytes, readFast, writeBytes, newFast, pb, eb);
        }

        @Override
        public long migratedBytes() {
            return migrated;
        }

        @Override
        public double allFastStepTime(long fineBytes, long writeBytes) {
            return cost.allFastStepTime(fineBytes, writeBytes);
        }

        @Override
        public double boundStepTime(long fineBytes, long writeBytes) {
            return cost.balancedStepTime(fineBytes, writeBytes);
        }

        @Override
        public double boundFastBytes(long fineBytes, long writeBytes) {
            return cost.balancedFastShare(fineBytes, writeBytes);
        }

        @Override
        public String allFastName() {
            return "all-fast";
        }

        @Override
        public String boundName() {
            return "balanced-bound";
        }

        @Override
        public ModelProfile model() {
            return model;
        }

        @Override
        public long fastKvCapacity() {
            return cost.fastKvCapacity();
        }
    }
}
