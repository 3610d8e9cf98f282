package org.kvplace.core.sim;

import java.io.IOException;
import java.util.Objects;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.PlacementProtocol;
import org.kvplace.core.placement.PlacementState;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;

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
 * trace's own granularity in the same pass.
 *
 * <p><b>Batch:</b> one trace stands for every sequence of {@link ModelProfile#batch()}: KV
 * bytes, hits and moves are multiplied by the batch, the weights are read once per step, and
 * the fast tier's KV room is shared. <b>Invariants</b> checked at every step, failing with a
 * message naming the step: the trace's steps come in order with ids below the units that
 * exist and layers within the model, and the policy never overflows the fast tier (enforced
 * by {@link PlacementState}). Memory: the placement, the policy's state and a look-ahead ring
 * of {@code (lookahead + 1) * layers} steps; nothing is allocated per step.
 *
 * <p>Not thread-safe; one instance runs one replay at a time.
 */
public final class Simulator {

    private static final int PROGRESS_EVERY = 8192;

    private final CostModel cost;
    private final ModelProfile model;
    private ProgressListener progress = ProgressListener.NONE;
    private SimulationResult allFast;
    private SimulationResult balanced;
    private long lastWallNanos;
    private long lastSteps;

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

    /** The all-fast reference of the last run, as a result. */
    public SimulationResult allFastReference() {
        return allFast;
    }

    /** The balanced bound of the last run, as a result. */
    public SimulationResult balancedReference() {
        return balanced;
    }

    /** Steps replayed by the last run. */
    public long lastSteps() {
        return lastSteps;
    }

    /** Simulated steps per second of wall time in the last run. */
    public double lastStepsPerSecond() {
        return lastSteps / (lastWallNanos / 1e9);
    }

    /**
     * Opens the source and replays it.
     *
     * @throws IOException if the trace cannot be read
     */
    public SimulationResult run(TraceSource source, PlacementPolicy policy) throws IOException {
        try (AccessTrace t = source.open()) {
            return run(t, policy);
        }
    }

    /**
     * Replays {@code trace} (from its first step) through {@code policy}.
     *
     * @throws IllegalArgumentException if the trace has fewer layers than the model, a unit size
     *         the policy's granularity is not a multiple of, or more KV than the tiers hold
     *         ({@link CostModel#checkFits})
     * @throws IllegalStateException naming the step, if the trace is out of order, reads units
     *         that do not exist or layers beyond the model, or the policy breaks the placement rules
     * @throws IOException if the trace cannot be read
     */
    public SimulationResult run(AccessTrace trace, PlacementPolicy policy) throws IOException {
        long t0 = System.nanoTime();
        TraceHeader h = trace.header();
        int layers = model.layers();
        if (h.layers() < layers) {
            throw new IllegalArgumentException("trace has " + h.layers() + " layers but model " + model.name()
                    + " has " + layers);
        }
        cost.checkFits((long) h.promptTokens() + h.decodeTokens());
        int fineTokens = h.unitTokens();
        int g = policy.granularityTokens() == 0 ? fineTokens : policy.granularityTokens();
        if (g % fineTokens != 0) {
            throw new IllegalArgumentException("policy " + policy.name() + " wants units of " + g
                    + " tokens, not a multiple of the trace's " + fineTokens);
        }
        int factor = g / fineTokens;
        int prompt = h.promptTokens();
        int end = prompt + h.decodeTokens();
        int maxUnits = Math.ceilDiv(end, g);
        long batch = model.batch();
        long kv = model.kvBytesPerToken();
        long unitBytes = g * kv * batch;
        long fineUnitBytes = fineTokens * kv * batch;
        long writeBytes = kv * batch;
        // The one placement protocol, shared with the live engine: new unit -> placeNew -> apply;
        // step reads -> plan -> apply.
        PlacementProtocol protocol = new PlacementProtocol(policy, layers, maxUnits, unitBytes,
                Math.max(0, cost.fastKvCapacity()));
        PlacementState state = protocol.state();

        int promptUnits = Math.ceilDiv(prompt, g);
        for (int u = 0; u < promptUnits; u++) {
            for (int l = 0; l < layers; l++) {
                protocol.placeNew(l, u, Lookahead.NONE);
            }
        }

        Ring ring = new Ring(trace, h, policy.lookahead(), factor, g);
        long total = h.steps();
        double time = 0, allFastTime = 0, balancedTime = 0, balancedFast = 0;
        long kvFast = 0, kvSlow = 0, fineKv = 0, migrated = 0, promoted = 0, demoted = 0;
        double[] layerTime = new double[layers];
        long[] layerFast = new long[layers];
        long[] layerAll = new long[layers];
        for (long s = 0; s < total; s++) {
            ring.load(s);
            TraceStep st = ring.step(s);
            int n = st.position();
            int l = st.layer();
            if (l >= layers) {
                throw new IllegalStateException("step n=" + n + " l=" + l + ": layer " + l + " beyond the model's "
                        + layers + " layers");
            }
            int units = st.unitCount();
            long readBytes = st.readCount() * unitBytes;
            long readFast = Bits.countAnd(st.readBits(), state.fastBits(l), Bits.words(units)) * unitBytes;
            int p = 0, d = 0;
            try {
                if (n % g == 0) {
                    protocol.placeNew(l, n / g, ring);
                    p += protocol.plan().promotions();
                    d += protocol.plan().demotions();
                }
                protocol.afterReads(st, ring);
                p += protocol.plan().promotions();
                d += protocol.plan().demotions();
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new IllegalStateException("at step n=" + n + " l=" + l + ": " + e.getMessage(), e);
            }
            assert state.fastUsedBytes() <= state.fastCapacityBytes();
            boolean beta = state.isFast(l, n / g);
            long pb = p * unitBytes;
            long eb = d * unitBytes;
            double t = cost.stepTime(readBytes, readFast, writeBytes, beta, pb, eb);
            time += t;
            kvFast += readFast;
            kvSlow += readBytes - readFast;
            migrated += pb + eb;
            promoted += p;
            demoted += d;
            layerTime[l] += t;
            layerFast[l] += readFast;
            layerAll[l] += readBytes;
            long fineBytes = ring.fineCount(s) * fineUnitBytes;
            fineKv += fineBytes;
            allFastTime += cost.allFastStepTime(fineBytes, writeBytes);
            balancedTime += cost.balancedStepTime(fineBytes, writeBytes);
            balancedFast += cost.balancedFastShare(fineBytes, writeBytes);
            if ((s + 1) % PROGRESS_EVERY == 0) {
                progress.progress(s + 1, total);
            }
        }
        ring.expectEnd();
        progress.progress(total, total);

        double[] layerHit = new double[layers];
        for (int l = 0; l < layers; l++) {
            layerHit[l] = layerAll[l] == 0 ? 1 : (double) layerFast[l] / layerAll[l];
        }
        long weights = total * model.weightBytesPerLayer();
        int tokens = h.decodeTokens();
        String detail = policy.toString().startsWith(policy.name() + "(") ? policy.toString().substring(
                policy.name().length()) : "";
        allFast = new SimulationResult("all-fast", "", tokens, allFastTime, weights, fineKv, 0, 0, 0, 0,
                new double[0], new double[0], allFastTime, balancedTime);
        long bf = Math.round(balancedFast);
        balanced = new SimulationResult("balanced-bound", "", tokens, balancedTime, weights, bf, fineKv - bf, 0, 0, 0,
                new double[0], new double[0], allFastTime, balancedTime);
        lastWallNanos = System.nanoTime() - t0;
        lastSteps = total;
        return new SimulationResult(policy.name(), detail, tokens, time, weights, kvFast, kvSlow, migrated, promoted,
                demoted, layerTime, layerHit, allFastTime, balancedTime);
    }
}
