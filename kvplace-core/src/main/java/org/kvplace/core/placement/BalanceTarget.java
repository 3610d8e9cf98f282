package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.PaperCostModel;

/**
 * The target half of {@link BalancePolicy}: from a layer's class counts and read probabilities it
 * predicts the next step's reads and fast reads, tracks the net churn of the fast reads, and
 * solves the cost model for the fast share that balances a step carrying the migrations that hold
 * it. It also prices what the policy compares in reads: a copy ({@link #copyCost}) and the slack
 * a step leaves for promotions ({@link #slackUnits}).
 *
 * <p>Two cost models price differently. In kvplace's ({@link CostModel}) a fast read beyond the
 * balanced share makes the fast side the bottleneck and every copy crosses the slow link, so the
 * target is the balanced share and a copy costs over a read. In the paper's ({@link
 * PaperCostModel}) no step reads more than the balanced share from the fast tier whatever is
 * resident, a unit promoted while the step reads it costs only its fast-tier write and a demotion
 * costs nothing: the target is every predicted read (capacity allowing), a promotion of a unit the
 * step reads costs a small fraction of a read, and one of a unit it does not read is not made (it
 * would add a slow read to the step).
 *
 * <p>Owned by one policy; single-threaded; no allocation after {@link #start}.
 */
final class BalanceTarget {

    private final CostModel cost;        // kvplace's model, or null
    private final PaperCostModel paper;  // the paper's model, or null
    private final double unitWrite;
    /** A promotion and a demotion, in reads moved to the fast tier (kvplace's model: any unit). */
    final double copyCost;
    private final double copyCostUnread; // a unit the step did not read
    private double[] churn = new double[0];  // fast reads lost per step and not won back without a copy

    /** Predicted reads of the layer's next step (units), from the last {@link #update}. */
    double predicted;
    /** Predicted fast reads of the layer's next step (units), from the last {@link #update}. */
    double predictedFast;
    /** The fast reads to hold (units), from the last {@link #update}. */
    double want;

    BalanceTarget(CostModel cost) {
        this.cost = cost;
        this.paper = null;
        this.unitWrite = (double) cost.model().kvBytesPerToken() * cost.model().batch();
        double bf = cost.hardware().fastBandwidth(), br = cost.hardware().slowRead();
        this.copyCost = (1 / br + 2 / bf) / (1 / br - 1 / bf);
        this.copyCostUnread = copyCost;
    }

    BalanceTarget(PaperCostModel paper) {
        this.cost = null;
        this.paper = paper;
        this.unitWrite = (double) paper.model().kvBytesPerToken() * paper.model().batch();
        double bf = paper.hardware().fastBandwidth();
        double bs = Math.min(paper.hardware().slowRead(), paper.hardware().slowDram());
        // a read moved from the slow to the fast tier saves 1/bs - 1/bf; a promotion of a unit the
        // step reads costs its fast write (1/bf), a demotion nothing
        this.copyCost = (1 / bf) / (1 / bs - 1 / bf);
        this.copyCostUnread = Double.POSITIVE_INFINITY;
    }

    /**
     * The price of a promotion (and the demotion that makes its room), in reads moved to the fast
     * tier, of a unit the step read ({@code readNow}) or did not read.
     */
    double copyCost(boolean readNow) {
        return readNow ? copyCost : copyCostUnread;
    }

    /** Resets the churn of every layer. */
    void start(int layers) {
        churn = new double[layers];
        Arrays.fill(churn, 0.1);
    }

    /**
     * Sets {@link #predicted}, {@link #predictedFast} and {@link #want} for layer {@code l} at its
     * step {@code t}, from its class counts {@code n}, fast counts {@code fc} and probabilities
     * {@code pl}, and updates the layer's churn.
     */
    void update(int l, int t, int[] n, int[] fc, float[] pl, Placement placement) {
        double u = placement.unitBytes();
        double predicted = 0, predictedFast = 0, readFast = 0, lost = 0, won = 0;
        for (int k = 0; k < BalanceHistory.CLASSES; k++) {
            predicted += n[k] * (double) pl[k];
            predictedFast += fc[k] * (double) pl[k];
            int hk = k % BalanceHistory.HISTORY;
            if (BalanceHistory.readNow(k)) {
                readFast += fc[k];
            }
            if (hk == 2 || hk == 3) {
                lost += fc[k];      // fast, read at the last step, not now
            } else if (hk == 4 || hk == 5) {
                won += fc[k];       // fast, read now but not at the last step: no copy paid
            }
        }
        if (readFast > 0 && t > 1) {
            churn[l] += 0.1 * (Math.max(0, lost - won) / readFast - churn[l]);
        }
        // the paper's model caps the fast share itself: holding every read costs nothing there
        double tau = paper != null ? 1 : Math.max(0, Math.min(1, balancedShare(predicted * u, churn[l])));
        this.predicted = predicted;
        this.predictedFast = predictedFast;
        this.want = Math.min(tau * predicted, placement.fastCapacityBytes() / u);
    }

    /**
     * The units a step with {@code hits} fast and {@code reads} units read in all leaves room to
     * promote: in kvplace's model what the slow link leaves (a promotion and as much demotion
     * charged), in the paper's what the fast tier leaves for the writes of promoted read units;
     * negative when the side that carries them is the step's bottleneck.
     */
    double slackUnits(int hits, int reads, double u) {
        if (paper != null) {   // promotions of read units: fast-tier writes
            long rb = (long) (reads * u), hb = (long) (hits * u);
            return (paper.slowTime(rb, hb, (long) unitWrite, 0) - paper.fastTime(rb, hb, 0))
                    * paper.hardware().fastBandwidth() / u;
        }
        double ta = hits * u;
        return (cost.fastTime((long) ta, 0, 0, 0) - cost.slowTime((long) (reads * u - ta), 0,
                0, 0)) / (1 / cost.hardware().slowRead() - 2 / cost.hardware().fastBandwidth()) / u;
    }

    // The fast share of the predicted reads that balances a step carrying the migrations that
    // keep that share (churn x share promoted, as much demoted): the step time is convex in the
    // share (a max of lines), so a ternary search finds its minimum.
    private double balancedShare(double readBytes, double churn) {
        if (readBytes <= 0) {
            return 0;
        }
        double lo = 0, hi = 1;
        for (int i = 0; i < 40; i++) {
            double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;
            if (stepTime(readBytes, m1, churn) <= stepTime(readBytes, m2, churn)) {
                hi = m2;
            } else {
                lo = m1;
            }
        }
        return (lo + hi) / 2;
    }

    private double stepTime(double readBytes, double share, double churn) {
        long a = (long) (share * readBytes);
        long moved = (long) (churn * share * readBytes);
        return Math.max(cost.fastTime(a, (long) unitWrite, moved, moved),
                cost.slowTime((long) (readBytes) - a, 0, moved, moved));
    }
}
