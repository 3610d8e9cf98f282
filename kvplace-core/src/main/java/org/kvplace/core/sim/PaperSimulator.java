package org.kvplace.core.sim;

import java.io.IOException;
import java.util.Objects;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.model.PaperCostModel;
import org.kvplace.core.placement.InclusiveCharges;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.PlacementProtocol;
import org.kvplace.core.placement.PlacementState;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.TraceHeader;
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
 * run), returned by {@link #allFastReference()} and {@link #boundReference()}.
 *
 * <p>Same invariants, memory and batch rules as {@link Simulator}. Not thread-safe; one
 * instance runs one replay at a time.
 */
public final class PaperSimulator {

    private static final int PROGRESS_EVERY = 8192;

    private final PaperCostModel cost;
    private final ModelProfile model;
    private ProgressListener progress = ProgressListener.NONE;
    private SimulationResult allFast;
    private SimulationResult bound;
    private long lastWallNanos;
    private long lastSteps;

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

    /** The all-fast reference of the last run, in this model ({@code paper-all-fast}). */
    public SimulationResult allFastReference() {
        return allFast;
    }

    /** The bound of the last run, in this model ({@code paper-bound}). */
    public SimulationResult boundReference() {
        return bound;
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
     * @throws IllegalArgumentException if the trace has fewer layers than the model or a unit
     *         size the policy's granularity is not a multiple of
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
        InclusiveCharges charges = policy instanceof InclusiveCharges c ? c : null;
        // The placement protocol the kvplace-model simulator and the live engine use.
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
        double time = 0, allFastTime = 0, boundTime = 0;
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
            long moveFast = 0, moveSlow = 0;
            try {
                if (n % g == 0) {
                    protocol.placeNew(l, n / g, ring);
                    p += protocol.plan().promotions();
                    d += protocol.plan().demotions();
                    moveSlow += slowCharge(protocol.plan(), st, l, unitBytes);
                }
                protocol.afterReads(st, ring);
                p += protocol.plan().promotions();
                d += protocol.plan().demotions();
                moveSlow += slowCharge(protocol.plan(), st, l, unitBytes);
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new IllegalStateException("at step n=" + n + " l=" + l + ": " + e.getMessage(), e);
            }
            boolean beta = state.isFast(l, n / g);
            moveFast = p * unitBytes;
            if (charges != null) {
                moveFast = charges.chargedFastBytes();
                moveSlow = charges.chargedSlowReadBytes();
                beta = charges.chargedNewToFast();
            }
            double t = cost.stepTime(readBytes, readFast, writeBytes, beta, moveFast, moveSlow);
            time += t;
            kvFast += readFast;
            kvSlow += readBytes - readFast;
            migrated += moveFast + d * unitBytes;
            promoted += p;
            demoted += d;
            layerTime[l] += t;
            layerFast[l] += readFast;
            layerAll[l] += readBytes;
            long fineBytes = ring.fineCount(s) * fineUnitBytes;
            fineKv += fineBytes;
            allFastTime += cost.allFastStepTime(fineBytes, writeBytes);
            boundTime += cost.boundStepTime(fineBytes, writeBytes);
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
        allFast = new SimulationResult("paper-all-fast", "", tokens, allFastTime, weights, fineKv, 0, 0, 0, 0,
                new double[0], new double[0], allFastTime, boundTime);
        bound = new SimulationResult("paper-bound", "", tokens, boundTime, weights, 0, fineKv, 0, 0, 0,
                new double[0], new double[0], allFastTime, boundTime);
        lastWallNanos = System.nanoTime() - t0;
        lastSteps = total;
        return new SimulationResult(policy.name(), detail, tokens, time, weights, kvFast, kvSlow, migrated, promoted,
                demoted, layerTime, layerHit, allFastTime, boundTime);
    }

    // Slow-tier bytes of the plan's promotions that this step did not read (of its own layer).
    private static long slowCharge(MigrationPlan plan, TraceStep st, int layer, long unitBytes) {
        long b = 0;
        for (int i = 0; i < plan.promotions(); i++) {
            if (plan.promotedLayer(i) != layer || !st.contains(plan.promotedUnit(i))) {
                b += unitBytes;
            }
        }
        return b;
    }
}
