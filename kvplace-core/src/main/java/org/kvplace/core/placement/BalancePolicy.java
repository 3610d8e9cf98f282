package org.kvplace.core.placement;

import java.util.Arrays;
import java.util.Objects;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.PaperCostModel;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * kvplace's own online policy: it steers every step's fast-tier share of bytes towards the cost
 * model's balanced split, not towards the most hits (DESIGN section 4). Lookahead 0: it sees only
 * the reads of the steps already done, so the same instance runs in the simulator and on the live
 * cache.
 *
 * <p><b>Classes and scores.</b> A unit's class is its read history over the last three steps of
 * its layer (read now, one and two steps ago: 8 patterns, recency and frequency in one, LRFU-like),
 * with the units read at each of the last 15 steps taken out of "read at all three" as a ninth
 * pattern (a unit that churns rarely survives 15 steps, one a stable head reads always does),
 * times its age bucket (the oldest half of the layer's units, the next quarter, eighth and the
 * newest eighth): 36 classes per layer. Per class and layer the policy measures how often a unit
 * is read at the layer's next step, an exponential average {@code p} of the observed rate. Its
 * value is the expected number of reads over the next {@link #HORIZON} steps under a two-state
 * model of its bucket (read density {@code pi}, persistence {@code lambda} = p(read again) -
 * p(read when cold), with p(read again) of "read at all three", or of the long runs for
 * themselves): {@code H pi + (p - pi)(1 - lambda^H) / (1 - lambda)}.
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
 * it demotes fast units of the lowest classes that are still read, no more than the slack the
 * slow link leaves in the step carries. A burst of promotions is capped at the slack
 * the slow link leaves in the step plus a tenth of the predicted reads, accrued from step to step
 * up to one unit where a tenth is less (a layer that reads four units still promotes one every
 * few steps). A unit moved less than
 * {@link #MIN_RESIDENCY} steps of its layer ago does not move back (unless it went cold); a move
 * that undoes one of the last {@code 4 x MIN_RESIDENCY} steps counts as a ping-pong, and a
 * layer's ping-pong rate (an exponential average) raises its margin (by 4 reads at a rate of 1)
 * and lowers its burst cap. The knobs that set themselves: {@code p} per class and layer, the
 * churn and so the target, the margin (cost model plus ping-pong), the burst cap.
 *
 * <p>Knowledge: the cost model (the hardware's bandwidths, the weights, the KV bytes of a token),
 * which a live engine has too; nothing about the trace. Memory: three read-history bit sets per
 * layer and five for the runs of reads (a 4-bit counter per unit, bit-sliced, and the long runs),
 * {@link #MIN_RESIDENCY} bit sets per layer of its last steps' demotions and as many of
 * its promotions, and one char per unit (its last move). Per step: a few passes over
 * the layer's bit words; no allocation after {@link #start}. Not thread-safe.
 *
 * <p>Structure: {@link BalanceHistory} keeps the read history, the classes and their scores;
 * {@link BalanceTarget} the churn, the balanced share and the prices in reads; this class decides
 * the moves (promotion, demotion, room for new units) and holds the ping-pong control.
 */
public final class BalancePolicy implements PlacementPolicy {

    /** Steps of its layer a moved unit stays before it may move back. */
    public static final int MIN_RESIDENCY = 4;

    private static final int HISTORY = BalanceHistory.HISTORY;
    private static final int BUCKETS = BalanceHistory.BUCKETS;
    private static final int CLASSES = BalanceHistory.CLASSES;
    private static final double BURST = 0.10;
    private static final double HYSTERESIS = 0.005;
    /** Steps of its layer over which a unit's value (expected reads) is counted. */
    public static final int HORIZON = 32;

    private final BalanceHistory history = new BalanceHistory();
    private final BalanceTarget target;
    private int layers;
    // per layer and unit, its last move: 0 = none, else MOVED | PROMOTED if a promotion | (the
    // layer's step & AGE); swept every SWEEP steps of the layer (see sweep), so a tag's age,
    // (step - tag) & AGE, is exact. A char, not the step in an int: a step's moves then touch half
    // the cache lines.
    private char[][] lastMove = new char[0][];
    // per layer and step modulo MIN_RESIDENCY, the units demoted at that step whose last move it
    // still is (a unit just demoted is not promoted again): the residency test a word at a time
    // (word w, slot s at index w * MIN_RESIDENCY + s: the slots of a word share a cache line)
    private long[][] demotedAt = new long[0][];
    // the same for promotions (a unit demoted since leaves them): the evictions' residency test
    private long[][] promotedAt = new long[0][];
    private double[] pingPong = new double[0];
    private double[] credit = new double[0];  // per layer: the promotions the burst allows now
    private int[] promo = new int[0];
    // the promotion candidates of a step by class: promo[segEnd[s - 1], segEnd[s]) are of the s-th
    // class taken, worth segNet[s] reads after their copy's price
    private final int[] segEnd = new int[CLASSES];
    private final double[] segNet = new double[CLASSES];
    // per layer: the class of lowest value among those with fast units (-1: none), and its value;
    // kept current wherever the history's fcnt or value of the layer change
    private int[] minClass = new int[0];
    private float[] minValue = new float[0];
    private int demotedPingPongs; // ping-pongs among the moves of the last demoteExcess

    /**
     * A balance policy for one cost model.
     *
     * @param cost the cost model of the hardware and model it places for
     */
    public BalancePolicy(CostModel cost) {
        this.target = new BalanceTarget(Objects.requireNonNull(cost, "cost"));
    }

    /**
     * A balance policy that prices its moves by the paper's cost model (the model of {@link
     * org.kvplace.core.sim.PaperSimulator}): there the fast share of a step is capped whatever is
     * resident, so it holds every read it predicts (capacity allowing) and promotes only units the
     * step read, whose copy costs a fast-tier write.
     *
     * @param cost the paper's cost model of the hardware and model it places for
     */
    public BalancePolicy(PaperCostModel cost) {
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
            lastMove = new char[layers][maxUnits];
        }
        if (lastMove[0].length < maxUnits) {
            lastMove = new char[layers][maxUnits];
        }
        for (char[] m : lastMove) {
            Arrays.fill(m, (char) 0);
        }
        int maxWords = Bits.words(maxUnits) + 1;
        if (demotedAt.length != layers || demotedAt[0].length < maxWords * MIN_RESIDENCY) {
            demotedAt = new long[layers][maxWords * MIN_RESIDENCY];
            promotedAt = new long[layers][maxWords * MIN_RESIDENCY];
        } else {
            for (int l = 0; l < layers; l++) {
                Arrays.fill(demotedAt[l], 0L);
                Arrays.fill(promotedAt[l], 0L);
            }
        }
        pingPong = new double[layers];
        credit = new double[layers];
        minClass = new int[layers];
        minValue = new float[layers];
        for (int l = 0; l < layers; l++) {
            refreshMin(l);
        }
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
        refreshMin(l);
        // the slot of this step held the demotions of MIN_RESIDENCY steps ago
        clearSlot(demotedAt[l], history.now[l] % MIN_RESIDENCY);
        clearSlot(promotedAt[l], history.now[l] % MIN_RESIDENCY);
        if (history.now[l] % SWEEP == 0) {
            sweep(lastMove[l], history.now[l]);
        }
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
            double got = 0;
            double lowest = Double.MAX_VALUE;  // the lowest candidate's value less its copy's price
            long[] h0l = history.h0[l], h1l = history.h1[l], h2l = history.h2[l], lgl = history.lg[l];
            long[] dl = demotedAt[l];
            for (int i = 0; i < CLASSES && got < deficit && np < cap; i++) {
                int k = order[i];
                float pk = pl[k];
                double mk = (target.copyCost(BalanceHistory.readNow(k)) - 1) + 4 * pingPong[l];
                if (vl[k] < 1 + mk || n[k] - fc[k] <= 0) {
                    continue;
                }
                int need = (int) Math.min(Math.ceil((deficit - got) / pk), cap - np);
                int hk = k % HISTORY;
                for (int w = BalanceHistory.bucketStart(k / HISTORY + 1, words) - 1,
                        e = BalanceHistory.bucketStart(k / HISTORY, words); w >= e && need > 0; w--) {
                    long m = BalanceHistory.mask(hk, h0l[w], h1l[w], h2l[w], lgl[w]) & ~f[w];
                    if (w == words - 1) {
                        m &= lastMask;
                    }
                    if (m != 0) {
                        m &= ~recent(dl, w);
                    }
                    while (m != 0 && need > 0) {
                        int bit = 63 - Long.numberOfLeadingZeros(m);
                        m &= ~(1L << bit);
                        promo[np++] = (w << 6) + bit;
                        need--;
                        got += pk;
                    }
                }
                if (np > (segments == 0 ? 0 : segEnd[segments - 1])) {
                    segEnd[segments] = np;
                    segNet[segments++] = vl[k] - 1 - mk;
                    lowest = Math.min(lowest, vl[k] - 1 - mk);
                }
            }
            if (np > 0) {
                long free = placement.fastFreeBytes() / placement.unitBytes();
                int needRoom = (int) Math.max(0, np - free);
                if (needRoom > 0) {
                    double maxVictim = lowest;
                    int got2 = evict(needRoom, maxVictim, placement, plan);
                    if (got2 < needRoom) {
                        // no room for the lowest candidates: make it for the higher classes alone,
                        // each against victims below its own value
                        got2 += roomByClass(segments, (int) free + got2, placement, plan);
                    }
                    demoted += got2;
                    np = Math.max(0, np - (needRoom - got2));  // the lowest candidates come last: drop them
                }
                for (int i = 0; i < np; i++) {
                    int id = promo[i];
                    char lm = lastMove[l][id];
                    if (lm != 0 && (lm & PROMOTED) == 0 && age(lm, t) < 4 * MIN_RESIDENCY) {
                        pp++;
                    }
                    lastMove[l][id] = tag(t, true);
                    promotedAt[l][(id >> 6) * MIN_RESIDENCY + t % MIN_RESIDENCY] |= 1L << id;
                    plan.promote(l, id);
                }
                promoted = np;
                credit[l] = Math.max(0, credit[l] - Math.max(0, np - Math.max(0, slack)));
            }
        } else if (-deficit > band + 1) {
            // Demotions only within the slack the slow link leaves in the step: above the band an
            // excess costs only fast reads, while a demotion that does not fit in the slack makes the
            // step slower than the excess would (on a thin link such as PCIe it costs more than all
            // the balance can gain).
            int cap = (int) Math.max(0, Math.floor(target.slackUnits(hits, reads.readCount(), u)));
            demoted += demoteExcess(l, t, -deficit, cap, margin, words, f, plan);
            refreshMin(l);
            pp += demotedPingPongs;
        }
        int moves = promoted + demoted;
        if (moves > 0) {
            pingPong[l] = 0.9 * pingPong[l] + 0.1 * ((double) pp / moves);
        } else {
            pingPong[l] *= 0.99;
        }
    }

    // After an eviction for all of a step's candidates fell short: evicts for the candidates of
    // each class in turn (promo order, highest value first), against victims below that class's
    // net value, while the room reaches. `room` is the room made so far; returns the evictions.
    private int roomByClass(int segments, int room, Placement placement, MigrationPlan plan) {
        int done = 0;
        for (int s = 0; s < segments; s++) {
            int missing = segEnd[s] - (room + done);
            if (missing > 0) {
                int g = evict(missing, segNet[s], placement, plan);
                done += g;
                if (g < missing) {
                    break;  // victims below this class's value ran out: none below the next either
                }
            }
        }
        return done;
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
            char[] lml = lastMove[l];
            long[] h0l = history.h0[l], h1l = history.h1[l], h2l = history.h2[l], lgl = history.lg[l];
            for (int w = BalanceHistory.bucketStart(k / HISTORY, words), e = BalanceHistory.bucketStart(k / HISTORY + 1,
                    words); w < e && need > 0 && demoted < cap; w++) {
                long m = BalanceHistory.mask(hk, h0l[w], h1l[w], h2l[w], lgl[w]) & f[w];
                long out = 0;  // the word's demotions, ascending
                while (m != 0 && need > 0 && demoted < cap) {
                    int bit = Long.numberOfTrailingZeros(m);
                    m &= m - 1;
                    int id = (w << 6) + bit;
                    char lm = lml[id];
                    if (lm != 0 && (lm & PROMOTED) != 0 && age(lm, t) < MIN_RESIDENCY) {
                        continue;
                    }
                    if (lm != 0 && (lm & PROMOTED) != 0 && age(lm, t) < 4 * MIN_RESIDENCY) {
                        pp++;
                    }
                    lml[id] = tag(t, false);
                    out |= 1L << bit;
                    fc[k]--;
                    need--;
                    demoted++;
                    excess -= pk;
                }
                plan.demoteWord(l, w, out);
                demoted(l, t, w, out);
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
        int done = 0;
        while (done < need) {
            // the first (layer, class) in order of the lowest value below maxP: each layer's
            // first lowest class, then the first layer of the lowest
            int bl = -1, bk = -1;
            float bp = (float) maxP;
            for (int l = 0; l < layers; l++) {
                if (now[l] != 0 && minClass[l] >= 0 && minValue[l] < bp) {
                    bp = minValue[l];
                    bl = l;
                    bk = minClass[l];
                }
            }
            if (bl < 0) {
                break;
            }
            long[] f = placement.fastBits(bl);
            int words = Bits.words(placement.units(bl));
            int t = now[bl];
            int hk = bk % HISTORY;
            char[] lml = lastMove[bl];
            long[] h0l = history.h0[bl], h1l = history.h1[bl], h2l = history.h2[bl], lgl = history.lg[bl];
            long[] pl = promotedAt[bl];
            long[] dt = demotedAt[bl];
            int ts = t % MIN_RESIDENCY;
            for (int w = BalanceHistory.bucketStart(bk / HISTORY, words), e = BalanceHistory.bucketStart(
                    bk / HISTORY + 1, words); w < e && done < need; w++) {
                // not promoted too recently (unless not read lately), not already demoted at this step
                long m = BalanceHistory.mask(hk, h0l[w], h1l[w], h2l[w], lgl[w]) & f[w];
                if (m == 0) {
                    continue;
                }
                m &= ~((hk != 0 ? recent(pl, w) : 0L) | dt[w * MIN_RESIDENCY + ts]);
                long out = 0;  // the word's demotions, ascending
                while (m != 0 && done < need) {
                    int bit = Long.numberOfTrailingZeros(m);
                    m &= m - 1;
                    lml[(w << 6) + bit] = tag(t, false);
                    out |= 1L << bit;
                    done++;
                }
                plan.demoteWord(bl, w, out);
                demoted(bl, t, w, out);
            }
            fcnt[bl][bk] = 0;  // used up for this call (or only residents too young are left)
            refreshMin(bl);
        }
        return done;
    }

    // Records demotions of layer l at its step t, word w: they are its units' last moves now.
    private void demoted(int l, int t, int w, long out) {
        if (out != 0) {
            demotedAt[l][w * MIN_RESIDENCY + t % MIN_RESIDENCY] |= out;
            long[] p = promotedAt[l];
            for (int i = w * MIN_RESIDENCY, e = i + MIN_RESIDENCY; i < e; i++) {
                p[i] &= ~out;
            }
        }
    }

    // Word w of the units a layer moved at one of its last MIN_RESIDENCY steps (slots of
    // demotedAt or promotedAt).
    private static long recent(long[] slots, int w) {
        long d = 0;
        for (int i = w * MIN_RESIDENCY, e = i + MIN_RESIDENCY; i < e; i++) {
            d |= slots[i];
        }
        return d;
    }

    // Clears slot s of every word of a demotedAt or promotedAt array.
    private static void clearSlot(long[] slots, int s) {
        for (int i = s; i < slots.length; i += MIN_RESIDENCY) {
            slots[i] = 0;
        }
    }

    static final int MOVED = 0x8000, PROMOTED = 0x4000, AGE = 0x3FFF, SWEEP = 8192;

    // The lastMove entry of a move at its layer's step t.
    static char tag(int t, boolean promoted) {
        return (char) (MOVED | (promoted ? PROMOTED : 0) | (t & AGE));
    }

    // Steps of its layer since the move of entry e, at the layer's step t: exact while below
    // AGE + 1, which the sweep keeps (every entry is at most 15 steps old after one, SWEEP - 1
    // steps later at most SWEEP + 14).
    static int age(char e, int t) {
        return (t - e) & AGE;
    }

    // Drops the entries of one layer older than 16 steps at its step t: every test of an entry
    // asks for a move within 4 x MIN_RESIDENCY steps, which an older one is not, nor a missing one.
    static void sweep(char[] moves, int t) {
        for (int i = 0; i < moves.length; i++) {
            char e = moves[i];
            moves[i] = age(e, t) < 4 * MIN_RESIDENCY ? e : 0;
        }
    }

    // Finds layer l's first class of lowest value among those with fast units.
    private void refreshMin(int l) {
        int[] fc = history.fcnt[l];
        float[] v = history.value[l];
        int bk = -1;
        float best = Float.POSITIVE_INFINITY;
        for (int k = 0; k < CLASSES; k++) {
            if (fc[k] > 0 && v[k] < best) {
                best = v[k];
                bk = k;
            }
        }
        minClass[l] = bk;
        minValue[l] = best;
    }

    @Override
    public String toString() {
        return "balance";
    }
}
