package org.kvplace.core.placement;

import java.util.Arrays;
import java.util.Objects;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * The balance policy in its first form (every class of every layer compared at each eviction,
 * class counts by one mask per class, moves handed to the plan one by one): the reference
 * {@link BalancePolicy} must match move for move.
 *
 * kvplace's own online policy: it steers every step's fast-tier share of bytes towards the cost
 * model's balanced split, not towards the most hits (DESIGN section 4). Lookahead 0: it sees only
 * the reads of the steps already done, so the same instance runs in the simulator and on the live
 * cache.
 *
 * <p><b>Classes and scores.</b> A unit's class is its read history over the last three steps of
 * its layer (read now, one and two steps ago: 8 patterns, recency and frequency in one, LRFU-like;
 * a ninth for the units read at each of the last 15 steps, as in the current form)
 * times its age bucket (the oldest half of the layer's units, the next quarter, eighth and the
 * newest eighth): 36 classes per layer. Per class and layer the policy measures how often a unit
 * is read at the layer's next step, an exponential average {@code p} of the observed rate. Its
 * value is the expected number of reads over the next {@link #HORIZON} steps under a two-state
 * model of its bucket (read density {@code pi}, persistence {@code lambda} = p(read again) -
 * p(read when cold)): {@code H pi + (p - pi)(1 - lambda^H) / (1 - lambda)}.
 *
 * <p><b>Target.</b> From the predicted reads of the layer's next step ({@code sum count p}) and
 * the measured net churn of its fast reads (an exponential average of the fast units read at the
 * last step and not now, less the fast units read now and not at the last step, which came back
 * without a copy, over the fast reads), it solves the cost model for the fast share {@code tau}
 * that minimises a step carrying the migrations that hold that share ({@code churn x tau} of the
 * reads promoted and as much demoted): holding more than the read-only balanced share is what
 * leaves the slow link the slack those migrations need. The target fast reads are {@code tau}
 * times the predicted reads.
 *
 * <p><b>Moves.</b> The policy keeps the predicted fast reads within a band from the target to 1%
 * of the reads above it (above, since a shortfall costs a slow read and an excess only a fast
 * one), aiming at its middle. Below the band it promotes slow units of the
 * classes of highest value, newest first, counting {@code p} per unit towards the deficit; room
 * comes from the fast units of the class of lowest value over all layers, and only where the
 * candidate's value beats the victim's by the copy's cost in reads (a promotion and a demotion
 * over what one read moved from the slow to the fast tier saves, from the cost model:
 * {@code (1/B_read + 2/B_fast) / (1/B_read - 1/B_fast)}, about 1.3 on gh200). Above target
 * it demotes fast units of the lowest classes that are still read. A burst is capped at the slack
 * the slow link leaves in the step plus a tenth of the predicted reads. A unit moved less than
 * {@link #MIN_RESIDENCY} steps of its layer ago does not move back (unless it went cold); a move
 * that undoes one of the last {@code 4 x MIN_RESIDENCY} steps counts as a ping-pong, and a
 * layer's ping-pong rate (an exponential average) raises its margin (by 4 reads at a rate of 1)
 * and lowers its burst cap. The knobs that set themselves: {@code p} per class and layer, the
 * churn and so the target, the margin (cost model plus ping-pong), the burst cap.
 *
 * <p>Knowledge: the cost model (the hardware's bandwidths, the weights, the KV bytes of a token),
 * which a live engine has too; nothing about the trace. Memory: three read-history bit sets per
 * layer and one int per unit (the step of its last move). Per step: a few passes over the
 * layer's bit words; no allocation after {@link #start}. Not thread-safe.
 *
 * <p>Structure: {@link ReferenceBalanceHistory} keeps the read history, the classes and their scores;
 * {@link BalanceTarget} the churn, the balanced share and the prices in reads; this class decides
 * the moves (promotion, demotion, room for new units) and holds the ping-pong control.
 */
final class ReferenceBalancePolicy implements PlacementPolicy {

    /** Steps of its layer a moved unit stays before it may move back. */
    public static final int MIN_RESIDENCY = 4;

    private static final int HISTORY = ReferenceBalanceHistory.HISTORY;
    private static final int BUCKETS = ReferenceBalanceHistory.BUCKETS;
    private static final int CLASSES = ReferenceBalanceHistory.CLASSES;
    private static final double BURST = 0.10;
    private static final double HYSTERESIS = 0.005;
    /** Steps of its layer over which a unit's value (expected reads) is counted. */
    public static final int HORIZON = BalancePolicy.HORIZON;

    private final ReferenceBalanceHistory history = new ReferenceBalanceHistory();
    private final BalanceTarget target;
    private int layers;
    private int[][] lastMove = new int[0][]; // (layer step << 1) | 1 if promoted, 0 = never moved
    private double[] pingPong = new double[0];
    private double[] credit = new double[0];  // per layer: the promotions the burst allows now
    private int[] promo = new int[0];
    private int demotedPingPongs; // ping-pongs among the moves of the last demoteExcess

    /**
     * A balance policy for one cost model.
     *
     * @param cost the cost model of the hardware and model it places for
     */
    ReferenceBalancePolicy(CostModel cost) {
        this.target = new BalanceTarget(Objects.requireNonNull(cost, "cost"));
    }

    @Override
    public String name() {
        return "balance";
    }

    @Override
    public void start(Placement placement) {
        layers = placement.layers();
        int maxUnits = placement.maxUnits();
        if (history.start(layers, maxUnits)) {
            lastMove = new int[layers][maxUnits];
        }
        if (lastMove[0].length < maxUnits) {
            lastMove = new int[layers][maxUnits];
        }
        for (int[] m : lastMove) {
            Arrays.fill(m, 0);
        }
        pingPong = new double[layers];
        credit = new double[layers];
        target.start(layers);
        if (promo.length < maxUnits) {
            promo = new int[maxUnits];
        }
    }

    /** Fast while there is room; else displaces a fast unit of a class worth a read less, else slow. */
    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        long ub = placement.unitBytes();
        if (placement.fastFreeBytes() >= ub) {
            return true;
        }
        if (history.now[layer] == 0) {
            return false;  // the prompt: nothing known yet
        }
        // worth a demotion if it beats the lowest class by more than that copy (in reads), valued
        // as a unit of the newest bucket read once
        float v = history.value[layer][(BUCKETS - 1) * HISTORY + 4];
        return evict(1, v - 1, placement, plan) == 1;
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        int l = reads.layer();
        int hits = history.observe(reads, placement);
        int units = placement.units(l);
        int words = Bits.words(units);
        long[] f = placement.fastBits(l);
        int t = history.now[l];
        long lastMask = (units & 63) == 0 ? -1L : (1L << units) - 1;
        int[] n = history.cnt[l];
        int[] fc = history.fcnt[l];
        float[] pl = history.p[l];
        float[] vl = history.value[l];

        target.update(l, t, n, fc, pl, placement);
        double u = placement.unitBytes();
        double predicted = target.predicted;
        double predictedFast = target.predictedFast;
        double want = target.want;
        double margin = (target.copyCost - 1) + 4 * pingPong[l];

        history.sortByValue(vl);
        int[] order = history.order;
        int promoted = 0, demoted = 0, pp = 0;
        // the band [want, want + 2 h]: a shortfall costs a slow read, an excess only a fast one
        double band = HYSTERESIS * predicted;
        double deficit = want + band - predictedFast;
        if (predictedFast < want - 1) {
            // the slack the slow link leaves (promotion and as much demotion charged), plus a burst
            double slack = target.slackUnits(hits, reads.readCount(), u);
            // the burst accrues as a credit of at most one step's (or one unit, where a step's
            // is less: a layer that reads few units still promotes, every few steps)
            double burst = BURST * predicted * (1 - pingPong[l]);
            credit[l] = Math.min(credit[l] + burst, Math.max(1, burst));
            double cap = Math.max(0, slack) + credit[l];
            int np = 0, segments = 0;
            int[] segEnd = new int[CLASSES];
            double[] segNet = new double[CLASSES];
            double got = 0;
            float lowest = Float.MAX_VALUE;
            long[] h0l = history.h0[l], h1l = history.h1[l], h2l = history.h2[l];
            for (int i = 0; i < CLASSES && got < deficit && np < cap; i++) {
                int k = order[i];
                float pk = pl[k];
                if (vl[k] < 1 + margin || n[k] - fc[k] <= 0) {
                    continue;
                }
                int need = (int) Math.min(Math.ceil((deficit - got) / pk), cap - np);
                int hk = k % HISTORY;
                for (int w = ReferenceBalanceHistory.bucketStart(k / HISTORY + 1, words) - 1,
                        e = ReferenceBalanceHistory.bucketStart(k / HISTORY, words); w >= e && need > 0; w--) {
                    long m = ReferenceBalanceHistory.mask(hk, h0l[w], h1l[w], h2l[w], history.longWord(l, w)) & ~f[w];
                    if (w == words - 1) {
                        m &= lastMask;
                    }
                    while (m != 0 && need > 0) {
                        int bit = 63 - Long.numberOfLeadingZeros(m);
                        m &= ~(1L << bit);
                        int id = (w << 6) + bit;
                        int lm = lastMove[l][id];
                        if (lm != 0 && (lm & 1) == 0 && t - (lm >>> 1) < MIN_RESIDENCY) {
                            continue; // just demoted
                        }
                        promo[np++] = id;
                        need--;
                        got += pk;
                        lowest = Math.min(lowest, vl[k]);
                    }
                }
                if (np > 0 && (segments == 0 || segEnd[segments - 1] < np)) {
                    segEnd[segments] = np;
                    segNet[segments++] = vl[k] - 1 - margin;
                }
            }
            if (np > 0) {
                long free = placement.fastFreeBytes() / placement.unitBytes();
                int needRoom = (int) Math.max(0, np - free);
                if (needRoom > 0) {
                    double maxVictim = lowest - 1 - margin;
                    int got2 = evict(needRoom, maxVictim, placement, plan);
                    // short of room: room for each class's candidates in turn, against victims
                    // below that class's value
                    for (int s = 0; s < segments && got2 < needRoom; s++) {
                        int missing = segEnd[s] - (int) free - got2;
                        if (missing > 0) {
                            int g = evict(missing, segNet[s], placement, plan);
                            got2 += g;
                            if (g < missing) {
                                break;
                            }
                        }
                    }
                    demoted += got2;
                    np = Math.max(0, np - (needRoom - got2));  // the lowest candidates come last: drop them
                }
                for (int i = 0; i < np; i++) {
                    int id = promo[i];
                    int lm = lastMove[l][id];
                    if (lm != 0 && (lm & 1) == 0 && t - (lm >>> 1) < 4 * MIN_RESIDENCY) {
                        pp++;
                    }
                    lastMove[l][id] = (t << 1) | 1;
                    plan.promote(l, id);
                }
                promoted = np;
                credit[l] = Math.max(0, credit[l] - Math.max(0, np - Math.max(0, slack)));
            }
        } else if (-deficit > band + 1) {
            int cap = (int) Math.max(0, Math.floor(target.slackUnits(hits, reads.readCount(), u)));
            demoted += demoteExcess(l, t, -deficit, cap, margin, words, f, plan);
            pp += demotedPingPongs;
        }
        int moves = promoted + demoted;
        if (moves > 0) {
            pingPong[l] = 0.9 * pingPong[l] + 0.1 * ((double) pp / moves);
        } else {
            pingPong[l] *= 0.99;
        }
    }

    // Above target: demotes fast units of layer l of the lowest classes that are still read, until
    // `excess` predicted reads are gone. Returns how many; the ping-pongs among them in
    // demotedPingPongs.
    private int demoteExcess(int l, int t, double excess, int cap, double margin, int words, long[] f,
            MigrationPlan plan) {
        int[] order = history.order;
        float[] pl = history.p[l];
        int[] fc = history.fcnt[l];
        int demoted = 0, pp = 0;
        for (int i = CLASSES - 1; i >= 0 && excess > 0 && demoted < cap; i--) {
            int k = order[i];
            float pk = pl[k];
            if (fc[k] == 0 || pk * HORIZON < 1 + margin) {
                continue;
            }
            int need = (int) Math.ceil(excess / pk);
            int hk = k % HISTORY;
            for (int w = ReferenceBalanceHistory.bucketStart(k / HISTORY, words), e = ReferenceBalanceHistory.bucketStart(k / HISTORY + 1,
                    words); w < e && need > 0; w++) {
                long m = ReferenceBalanceHistory.mask(hk, history.h0[l][w], history.h1[l][w], history.h2[l][w], history.longWord(l, w)) & f[w];
                while (m != 0 && need > 0 && demoted < cap) {
                    int id = (w << 6) + Long.numberOfTrailingZeros(m);
                    m &= m - 1;
                    int lm = lastMove[l][id];
                    if (lm != 0 && (lm & 1) == 1 && t - (lm >>> 1) < MIN_RESIDENCY) {
                        continue;
                    }
                    if (lm != 0 && (lm & 1) == 1 && t - (lm >>> 1) < 4 * MIN_RESIDENCY) {
                        pp++;
                    }
                    lastMove[l][id] = t << 1;
                    plan.demote(l, id);
                    fc[k]--;
                    need--;
                    demoted++;
                    excess -= pk;
                }
            }
        }
        demotedPingPongs = pp;
        return demoted;
    }

    // Demotes up to `need` fast units of the classes with the lowest p over all layers, each below
    // maxP, none promoted less than MIN_RESIDENCY steps ago unless it went cold. Returns how many.
    private int evict(int need, double maxP, Placement placement, MigrationPlan plan) {
        int[] now = history.now;
        int[][] fcnt = history.fcnt;
        float[][] value = history.value;
        int done = 0;
        while (done < need) {
            int bl = -1, bk = -1;
            float bp = (float) maxP;
            for (int l = 0; l < layers; l++) {
                if (now[l] == 0) {
                    continue;
                }
                for (int k = 0; k < CLASSES; k++) {
                    if (fcnt[l][k] > 0 && value[l][k] < bp) {
                        bp = value[l][k];
                        bl = l;
                        bk = k;
                    }
                }
            }
            if (bl < 0) {
                break;
            }
            long[] f = placement.fastBits(bl);
            int words = Bits.words(placement.units(bl));
            int t = now[bl];
            int hk = bk % HISTORY;
            for (int w = ReferenceBalanceHistory.bucketStart(bk / HISTORY, words), e = ReferenceBalanceHistory.bucketStart(
                    bk / HISTORY + 1, words); w < e && done < need; w++) {
                long m = ReferenceBalanceHistory.mask(hk, history.h0[bl][w], history.h1[bl][w], history.h2[bl][w], history.longWord(bl, w)) & f[w];
                while (m != 0 && done < need) {
                    int id = (w << 6) + Long.numberOfTrailingZeros(m);
                    m &= m - 1;
                    int lm = lastMove[bl][id];
                    if (hk != 0 && lm != 0 && (lm & 1) == 1 && t - (lm >>> 1) < MIN_RESIDENCY) {
                        continue;
                    }
                    if ((lm & 1) == 0 && lm != 0 && (lm >>> 1) == t) {
                        continue; // already demoted at this step
                    }
                    lastMove[bl][id] = t << 1;
                    plan.demote(bl, id);
                    done++;
                }
            }
            fcnt[bl][bk] = 0;  // used up for this call (or only residents too young are left)
        }
        return done;
    }

    @Override
    public String toString() {
        return "balance";
    }
}
