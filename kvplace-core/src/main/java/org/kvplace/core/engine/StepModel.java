package org.kvplace.core.engine;

import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.memory.MemoryBandwidth;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;

/**
 * The engine's arithmetic of one step: the migration budget a step grants, the cost model's time
 * of a step's reads and moves, and the cost model that policies such as {@code balance} plan with.
 * Immutable.
 */
final class StepModel {

    private final long pageBytes;
    private final long fixedBudget;
    private final double slowBytesPerNano;
    private final double fastBytesPerNano;
    private final boolean laneRate;

    /**
     * @param fixedBudget bytes a step grants, or {@code 0} for the slow link's idle time
     * @param fastBytesPerSecond the fast tier's calibrated read rate, or {@code 0} for no modelled times
     * @param laneRate whether the fast tier is modelled at the rate a sequence's fast lanes have
     *     measured (see {@link #fastRate}), {@code fastBytesPerSecond} until they have read enough
     */
    StepModel(TieredKvCache cache, long fixedBudget, double fastBytesPerSecond, boolean laneRate) {
        this.pageBytes = cache.layout().pageBytes();
        this.fixedBudget = fixedBudget;
        double bps = cache.tier(TierKind.SLOW).spec().bytesPerSecond();
        this.slowBytesPerNano = Double.isFinite(bps) && bps > 0 ? bps / 1e9 : Double.POSITIVE_INFINITY;
        this.fastBytesPerNano = fastBytesPerSecond / 1e9;
        this.laneRate = laneRate;
    }

    /**
     * The fast tier's rate, bytes per nanosecond, that a sequence's next step is modelled at: the
     * calibrated rate, or with lane rates the rate of the sequence's fast lanes so far
     * ({@code laneBytes} read in {@code laneNanos}) once they have read
     * {@link KvPlace#LANE_RATE_MIN_BYTES}; {@code 0} without a calibrated rate (no modelled times).
     */
    double fastRate(long laneBytes, long laneNanos) {
        if (!(fastBytesPerNano > 0)) {
            return 0;
        }
        if (laneRate && laneBytes >= KvPlace.LANE_RATE_MIN_BYTES && laneNanos > 0) {
            return (double) laneBytes / laneNanos;
        }
        return fastBytesPerNano;
    }

    /**
     * The cost model of one sequence on the engine's tiers: fast rate {@code fastRate} (else this
     * machine's copy bandwidth), slow rate the throttle's, fast capacity the sequence's share, no
     * weights; each direction of the slow tier throttled apart, so no shared DRAM limit.
     */
    CostModel costModel(TieredKvCache cache, double fastRate, long shareBytes) {
        double fast = fastRate > 0 ? fastRate : MemoryBandwidth.measureCopy(64L << 20, 3);
        double slow = slowBytesPerNano == Double.POSITIVE_INFINITY ? fast : slowBytesPerNano * 1e9;
        HardwareProfile hw = new HardwareProfile("live", fast, Math.max(pageBytes, shareBytes), slow, slow,
                1e18, (long) cache.capacityPages(TierKind.SLOW) * pageBytes + pageBytes);
        ModelProfile model = new ModelProfile("live", cache.shape().layers(), cache.layout().tokenBytes(), 0, 1);
        return new CostModel(hw, model);
    }

    /** The bytes the worker may move for a sequence after a step of {@code stepNanos}. */
    long migrationBudget(long stepNanos, long slowLaneNanos) {
        if (fixedBudget > 0) {
            return fixedBudget;
        }
        if (slowBytesPerNano == Double.POSITIVE_INFINITY) {
            return Long.MAX_VALUE / 4;
        }
        long idle = Math.max(0, stepNanos - slowLaneNanos);
        return Math.max(pageBytes, (long) (idle * slowBytesPerNano));
    }

    /**
     * The modelled nanoseconds of one layer's two lanes with the fast tier at {@code fastRate} bytes
     * per nanosecond ({@link #fastRate}), or 0 without a calibrated fast rate ({@code fastRate} 0).
     */
    long layerNanos(long fastBytes, long slowBytes, double fastRate) {
        if (!(fastRate > 0)) {
            return 0;
        }
        double f = fastBytes / fastRate;
        double sl = slowBytesPerNano == Double.POSITIVE_INFINITY ? 0 : slowBytes / slowBytesPerNano;
        return (long) Math.max(f, sl);
    }

    /** The modelled nanoseconds the fast tier spends on {@code bytes} at {@code fastRate}, or 0 without one. */
    long fastNanos(long bytes, double fastRate) {
        return fastRate > 0 ? (long) (bytes / fastRate) : 0;
    }

    /** The modelled nanoseconds the slow link spends on {@code bytes} of migration. */
    long migrationNanos(long bytes) {
        if (!(fastBytesPerNano > 0) || slowBytesPerNano == Double.POSITIVE_INFINITY) {
            return 0;
        }
        return (long) (bytes / slowBytesPerNano);
    }
}
