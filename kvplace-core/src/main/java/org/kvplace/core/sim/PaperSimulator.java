package org.kvplace.core.sim;

import java.io.IOException;
import java.util.Objects;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.model.PaperCostModel;
import org.kvplace.core.placement.InclusiveCharges;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;

/**
 * Replays a trace through a placement policy and prices every step with the paper author's
 * inclusive model, {@link PaperCostModel}: the second cost model of kvplace, beside
 * {@link Simulator}'s. The protocol with the policy is the same as {@link Simulator}'s (prompt
 * units through {@link PlacementPolicy#placeNew}, then per step: price the reads against the
 * placement before the step, create the new unit, plan, apply), so every policy runs in either
 * model; only the pricing differs. Moves are charged as the author's model charges them: a
 * promoted unit this step reads (of the step's layer) costs only its fast-tier write, any other
 * promotion also a slow-tier read, a demotion nothing; a policy that implements
 * {@link InclusiveCharges} (the author's own variants) states its charges and its new-KV tier
 * itself. The references are this model's all-fast time and its bound (the author's "best"
 * run), returned in each {@link Replay} with the policy's result.
 *
 * <p>Same invariants, memory and batch rules as {@link Simulator}. Not thread-safe; one
 * instance runs one replay at a time.
 */
public final class PaperSimulator {

    private final PaperCostModel cost;
    private final ModelProfile model;
    private ProgressListener progress = ProgressListener.NONE;

    /**
     * A simulator for one profile and one model.
     *
     * @throws IllegalArgumentException if the model's weights exceed the fast tier
     */
    public PaperSimulator(HardwareProfile hw, ModelProfile model) {
        this.cost = new PaperCostModel(hw, model);
        this.model = model;
    }

    /** The cost model in use. */
    public PaperCostModel costModel() {
        return cost;
    }

    /** Sets the listener told about progress (default: none). Returns this. */
    public PaperSimulator progress(ProgressListener listener) {
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
        try (AccessTrace t = source.open()) {
            return replay(t, policy);
        }
    }

    /**
     * Replays {@code trace} (from its first step) through {@code policy}, with this model's
     * all-fast reference ({@code paper-all-fast}) and bound ({@code paper-bound}) of the same trace.
     *
     * @throws IllegalArgumentException if the trace has fewer layers than the model or a unit
     *         size the policy's granularity is not a multiple of
     * @throws IllegalStateException naming the step, if the trace is out of order, reads units
     *         that do not exist or layers beyond the model, or the policy breaks the placement rules
     * @throws IOException if the trace cannot be read
     */
    public Replay replay(AccessTrace trace, PlacementPolicy policy) throws IOException {
        return ReplayLoop.run(trace, policy, new Pricing(policy instanceof InclusiveCharges c ? c : null), progress);
    }

    /** The author's inclusive model: moves charged as {@link PaperSimulator} describes. */
    private final class Pricing implements StepPricing {
        private final InclusiveCharges charges;
        private long moveSlow;
        private long migrated;

        Pricing(InclusiveCharges charges) {
            this.charges = charges;
        }

        @Override
        public void startStep() {
            moveSlow = 0;
        }

        // Slow-tier bytes of the plan's promotions that this step did not read (of its own layer).
        @Override
        public void planned(MigrationPlan plan, TraceStep st, int layer, long unitBytes) {
            long b = 0;
            for (int i = 0; i < plan.promotions(); i++) {
                if (plan.promotedLayer(i) != layer || !st.contains(plan.promotedUnit(i))) {
                    b += unitBytes;
                }
            }
            moveSlow += b;
        }

        @Override
        public double stepTime(long readBytes, long readFast, long writeBytes, boolean newFast, int promoted,
                int demoted, long unitBytes) {
            boolean beta = newFast;
            long moveFast = promoted * unitBytes;
            long slow = moveSlow;
            if (charges != null) {
                moveFast = charges.chargedFastBytes();
                slow = charges.chargedSlowReadBytes();
                beta = charges.chargedNewToFast();
            }
            migrated = moveFast + demoted * unitBytes;
            return cost.stepTime(readBytes, readFast, writeBytes, beta, moveFast, slow);
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
            return cost.boundStepTime(fineBytes, writeBytes);
        }

        @Override
        public double boundFastBytes(long fineBytes, long writeBytes) {
            return 0;
        }

        @Override
        public String allFastName() {
            return "paper-all-fast";
        }

        @Override
        public String boundName() {
            return "paper-bound";
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
