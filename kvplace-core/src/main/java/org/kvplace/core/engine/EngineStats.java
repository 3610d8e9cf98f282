package org.kvplace.core.engine;

/**
 * Totals of one sequence (or of all sequences of an engine) since it started.
 *
 * @param steps decode steps ended ({@link KvSequence#endStep()} calls)
 * @param bytesReadFast KV bytes attention read from the fast tier (whole pages)
 * @param bytesReadSlow KV bytes attention read from the slow tier (whole pages)
 * @param promotions pages moved slow to fast (by the migration worker or the decode thread)
 * @param demotions pages moved fast to slow (an inclusive cache's demotion drops the fast copy)
 * @param bytesMigrated bytes the moves copied, both directions (an inclusive cache's demotions copy
 *     none)
 * @param failedMoves planned moves that could not be carried out (tier full, page freed, queue
 *     full); the policy's view was corrected for each
 * @param pendingMoves planned moves not yet carried out
 * @param newPagesFast new pages placed in the fast tier
 * @param newPagesSlow new pages placed in the slow tier
 * @param placementFallbacks new pages that went to the other tier than the policy chose (it was full)
 * @param stepNanos measured time of all steps, from one {@code endStep} to the next
 * @param modelledNanos the cost model's time of all steps (0 without a calibrated fast-tier rate):
 *     per layer the slower of the two lanes' modelled reads, plus the promotions' slow-link time,
 *     plus (inclusive tiers) the fast copies the decode thread made at the fast tier's rate (the
 *     calibrated rate, or the lanes' measured one: {@link KvPlace.Builder#modelFastRateFromLanes})
 * @param fastLaneNanos time the fast lanes spent reading (with {@code bytesReadFast}, the fast tier's
 *     measured read rate, to calibrate the model)
 * @param attentionNanos wall time of the attention calls on the decode thread: page selection, both
 *     lanes, the merge
 * @param engineNanos the engine's own work on the decode thread: the policy's {@code placeNew} and
 *     {@code plan}, the step's reads handed over, moves queued, the step recorded (moves the decode
 *     thread carries out itself are not counted)
 * @param decodeMoveNanos time the decode thread spent carrying out moves itself: an inclusive
 *     cache's moves that cost the link nothing, the queued moves it runs when a new page finds the
 *     fast tier full, and all moves with synchronous migration
 */
public record EngineStats(long steps, long bytesReadFast, long bytesReadSlow, long promotions, long demotions,
        long bytesMigrated, long failedMoves, long pendingMoves, long newPagesFast, long newPagesSlow,
        long placementFallbacks, long stepNanos, long modelledNanos, long fastLaneNanos, long attentionNanos,
        long engineNanos, long decodeMoveNanos) {

    /** The share of KV bytes read from the fast tier, or 1 when nothing was read. */
    public double fastShare() {
        long all = bytesReadFast + bytesReadSlow;
        return all == 0 ? 1.0 : (double) bytesReadFast / all;
    }

    /** The sum of two totals (pending moves added too). */
    public EngineStats plus(EngineStats o) {
        return new EngineStats(steps + o.steps, bytesReadFast + o.bytesReadFast, bytesReadSlow + o.bytesReadSlow,
                promotions + o.promotions, demotions + o.demotions, bytesMigrated + o.bytesMigrated,
                failedMoves + o.failedMoves, pendingMoves + o.pendingMoves, newPagesFast + o.newPagesFast,
                newPagesSlow + o.newPagesSlow, placementFallbacks + o.placementFallbacks, stepNanos + o.stepNanos,
                modelledNanos + o.modelledNanos, fastLaneNanos + o.fastLaneNanos, attentionNanos + o.attentionNanos,
                engineNanos + o.engineNanos, decodeMoveNanos + o.decodeMoveNanos);
    }

    /** The totals since {@code before}, an earlier snapshot of the same sequence (pending moves: these). */
    public EngineStats minus(EngineStats before) {
        return new EngineStats(steps - before.steps, bytesReadFast - before.bytesReadFast,
                bytesReadSlow - before.bytesReadSlow, promotions - before.promotions, demotions - before.demotions,
                bytesMigrated - before.bytesMigrated, failedMoves - before.failedMoves, pendingMoves,
                newPagesFast - before.newPagesFast, newPagesSlow - before.newPagesSlow,
                placementFallbacks - before.placementFallbacks, stepNanos - before.stepNanos,
                modelledNanos - before.modelledNanos, fastLaneNanos - before.fastLaneNanos,
                attentionNanos - before.attentionNanos, engineNanos - before.engineNanos,
                decodeMoveNanos - before.decodeMoveNanos);
    }

    /** These totals with another modelled time (for a run modelled after it ran). */
    public EngineStats withModelledNanos(long modelled) {
        return new EngineStats(steps, bytesReadFast, bytesReadSlow, promotions, demotions, bytesMigrated, failedMoves,
                pendingMoves, newPagesFast, newPagesSlow, placementFallbacks, stepNanos, modelled, fastLaneNanos,
                attentionNanos, engineNanos, decodeMoveNanos);
    }

    /** The engine's own work as a share of the attention time, or NaN before any attention. */
    public double engineShare() {
        return attentionNanos == 0 ? Double.NaN : (double) engineNanos / attentionNanos;
    }

    /** The fast tier's measured read rate in bytes per second, or NaN before any fast read. */
    public double fastReadBytesPerSecond() {
        return fastLaneNanos == 0 ? Double.NaN : bytesReadFast * 1e9 / fastLaneNanos;
    }
}
