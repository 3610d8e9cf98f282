package org.kvplace.core.sim;

import java.io.IOException;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.PlacementProtocol;
import org.kvplace.core.placement.PlacementState;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

/**
 * The replay both simulators share: the placement protocol with the policy (prompt units through
 * {@link PlacementPolicy#placeNew}, then per step: price the reads against the placement before
 * the step, create the new unit, plan, apply) and the accounting of bytes, hits, moves and
 * references. Only the pricing differs ({@link StepPricing}).
 */
final class ReplayLoop {

    /** Steps between two progress reports. */
    static final int PROGRESS_EVERY = 8192;

    private ReplayLoop() {}

    /**
     * Replays {@code trace} (from its first step) through {@code policy}, priced by
     * {@code pricing}.
     *
     * @throws IllegalArgumentException if the trace has fewer layers than the model, fails the
     *         pricing's check, or has a unit size the policy's granularity is not a multiple of
     * @throws IllegalStateException naming the step, if the trace is out of order, reads units
     *         that do not exist or layers beyond the model, or the policy breaks the placement rules
     * @throws IOException if the trace cannot be read
     */
    static Replay run(AccessTrace trace, PlacementPolicy policy, StepPricing pricing, ProgressListener progress)
            throws IOException {
        long t0 = System.nanoTime();
        ModelProfile model = pricing.model();
        TraceHeader h = trace.header();
        int layers = model.layers();
        if (h.layers() < layers) {
            throw new IllegalArgumentException("trace has " + h.layers() + " layers but model " + model.name()
                    + " has " + layers);
        }
        pricing.check(h);
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
                Math.max(0, pricing.fastKvCapacity()));
        PlacementState state = protocol.state();

        // A long trace is read ahead on a second thread (the generator or the file's decoder
        // beside the policy; not a trace held in memory); the steps are the same.
        PrefetchedTrace ahead = h.steps() >= PrefetchedTrace.MIN_STEPS && trace.worthReadingAhead()
                ? new PrefetchedTrace(trace) : null;
        try {
            AccessTrace source = ahead != null ? ahead : trace;
            int promptUnits = Math.ceilDiv(prompt, g);
            for (int u = 0; u < promptUnits; u++) {
                for (int l = 0; l < layers; l++) {
                    protocol.placeNew(l, u, Lookahead.NONE);
                }
            }

            Ring ring = new Ring(source, h, policy.lookahead(), factor, g);
            long total = h.steps();
            double time = 0, allFastTime = 0, boundTime = 0, boundFast = 0;
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
                pricing.startStep();
                try {
                    if (n % g == 0) {
                        protocol.placeNew(l, n / g, ring);
                        p += protocol.plan().promotions();
                        d += protocol.plan().demotions();
                        pricing.planned(protocol.plan(), st, l, unitBytes);
                    }
                    protocol.afterReads(st, ring);
                    p += protocol.plan().promotions();
                    d += protocol.plan().demotions();
                    pricing.planned(protocol.plan(), st, l, unitBytes);
                } catch (IllegalStateException | IllegalArgumentException e) {
                    throw new IllegalStateException("at step n=" + n + " l=" + l + ": " + e.getMessage(), e);
                }
                assert state.fastUsedBytes() <= state.fastCapacityBytes();
                double t = pricing.stepTime(readBytes, readFast, writeBytes, state.isFast(l, n / g), p, d, unitBytes);
                time += t;
                kvFast += readFast;
                kvSlow += readBytes - readFast;
                migrated += pricing.migratedBytes();
                promoted += p;
                demoted += d;
                layerTime[l] += t;
                layerFast[l] += readFast;
                layerAll[l] += readBytes;
                long fineBytes = ring.fineCount(s) * fineUnitBytes;
                fineKv += fineBytes;
                allFastTime += pricing.allFastStepTime(fineBytes, writeBytes);
                boundTime += pricing.boundStepTime(fineBytes, writeBytes);
                boundFast += pricing.boundFastBytes(fineBytes, writeBytes);
                if ((s + 1) % PROGRESS_EVERY == 0) {
                    report(progress, s + 1, total, time);
                }
            }
            ring.expectEnd();
            report(progress, total, total, time);

            double[] layerHit = new double[layers];
            for (int l = 0; l < layers; l++) {
                layerHit[l] = layerAll[l] == 0 ? 1 : (double) layerFast[l] / layerAll[l];
            }
            long weights = total * model.weightBytesPerLayer();
            int tokens = h.decodeTokens();
            SimulationResult allFast = new SimulationResult(pricing.allFastName(), "", tokens, allFastTime, weights,
                    fineKv, 0, 0, 0, 0, new double[0], new double[0], allFastTime, boundTime);
            long bf = Math.round(boundFast);
            SimulationResult bound = new SimulationResult(pricing.boundName(), "", tokens, boundTime, weights, bf,
                    fineKv - bf, 0, 0, 0, new double[0], new double[0], allFastTime, boundTime);
            SimulationResult result = new SimulationResult(policy.name(), policy.parameters(), tokens, time, weights,
                    kvFast, kvSlow, migrated, promoted, demoted, layerTime, layerHit, allFastTime, boundTime);
            return new Replay(result, allFast, bound, total, System.nanoTime() - t0);
        } finally {
            if (ahead != null) {
                ahead.close();
            }
        }
    }

    private static void report(ProgressListener progress, long done, long total, double time) {
        if (progress instanceof TimedProgress timed) {
            timed.progress(done, total, time);
        } else {
            progress.progress(done, total);
        }
    }
}
