package org.kvplace.core.placement;

import java.util.Arrays;
import java.util.Objects;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * kvplace's own online policy: it steers every step's fast-tier share of bytes towards the cost
 * model's balanced split, not towards the most hits (DESIGN section 4). Lookahead 0: it sees only
 * the reads of the steps already done, so the same instance runs in the simulator and on the live
 * cache.
 *
 * <p><b>Classes and scores.</b> A unit's class is its read history over the last three steps of
 * its layer (read now, one and two steps ago: 8 patterns, recency and frequency in one, LRFU-like)
 * times its age bucket (the oldest half of the layer's units, the next quarter, eighth and the
 * newest eighth): 32 classes per layer. Per class and layer the policy measures how often a unit
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
 * <p><b>Moves.</b> The policy keeps the predicted fast reads within a band from the target to 4%
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
 */
public final class BalancePolicy implements PlacementPolicy {

    /** Steps of its layer a moved unit stays before it may move back. */
    public static final int MIN_RESIDENCY = 4;

    private static final int HISTORY = 8;
    private static final int BUCKETS = 4;
    private static final int CLASSES = HISTORY * BUCKETS;
    private static final double BURST = 0.10;
    private static final double HYSTERESIS = 0.02;
    private static final float P_MAX = 0.995f;
    /** Steps of its layer over which a unit's value (expected reads) is counted. */
    public static final int HORIZON = 32;

    private final CostModel cost;
    private int layers;
    private int maxUnits;
    private long[][] h0 = new long[0][];   // reads of the layer's last step
    private long[][] h1 = new long[0][];   // the step before
    private long[][] h2 = new long[0][];   // and the one before
    private int[] prevUnits = new int[0];
    private int[] now = new int[0];
    private float[][] p = new float[0][];
    private float[][] value = new float[0][];
    private int[][] cnt = new int[0][];
    private int[][] fcnt = new int[0][];
    private int[][] lastMove = new int[0][]; // (layer step << 1) | 1 if promoted, 0 = never moved
    private double[] pingPong = new double[0];
    private double[] churn = new double[0];  // fast reads lost per step and not won back without a copy
    private final int[] order = new int[CLASSES];
    private final int[] readsOf = new int[CLASSES];  // scratch: reads per class of the last step
    private int[] promo = new int[0];
    private final double unitWrite;
    private final double copyCost;       // a promotion and a demotion, in reads moved to the fast tier

    /**
     * A balance policy for one cost model.
     *
     * @param cost the cost model of the hardware and model it places for
     */
    public BalancePolicy(CostModel cost) {
        this.cost = Objects.requireNonNull(cost, "cost");
        this.unitWrite = (double) cost.model().kvBytesPerToken() * cost.model().batch();
        double bf = cost.hardware().fastBandwidth(), br = cost.hardware().slowRead();
        this.copyCost = (1 / br + 2 / bf) / (1 / br - 1 / bf);
    }

    @Override
    public String name() {
        return "balance";
    }

    @Override
    public void start(Placement placement) {
        layers = placement.layers();
        maxUnits = placement.maxUnits();
        int words = Bits.words(maxUnits) + 1;
        if (h0.length != layers || h0[0].length < words) {
            h0 = new long[layers][words];
            h1 = new long[layers][words];
            h2 = new long[layers][words];
            lastMove = new int[layers][maxUnits];
        } else {
            for (int l = 0; l < layers; l++) {
                Arrays.fill(h0[l], 0L);
                Arrays.fill(h1[l], 0L);
                Arrays.fill(h2[l], 0L);
            }
        }
        if (lastMove[0].length < maxUnits) {
            lastMove = new int[layers][maxUnits];
        }
        for (int[] m : lastMove) {
            Arrays.fill(m, 0);
        }
        prevUnits = new int[layers];
        now = new int[layers];
        p = new float[layers][CLASSES];
        value = new float[layers][CLASSES];
        cnt = new int[layers][CLASSES];
        fcnt = new int[layers][CLASSES];
        pingPong = new double[layers];
        churn = new double[layers];
        Arrays.fill(churn, 0.1);
        for (float[] q : p) {
            Arrays.fill(q, 0.5f);
            for (int bk = 0; bk < BUCKETS; bk++) {
                q[bk * HISTORY] = 0.02f;
            }
        }
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
        if (now[layer] == 0) {
            return false;  // the prompt: nothing known yet
        }
        // worth a demotion if it beats the lowest class by more than that copy (in reads), valued
        // as a unit of the newest bucket read once
        float v = value[layer][(BUCKETS - 1) * HISTORY + 4];
        return evict(1, v - 1, placement, plan) == 1;
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        int l = reads.layer();
        int units = placement.units(l);
        int words = Bits.words(units);
        long[] r = reads.readBits();
        long[] f = placement.fastBits(l);
        long[] a = h0[l], b = h1[l], c = h2[l];
        int t = ++now[l];
        int readWords = Bits.words(reads.unitCount());
        long lastMask = (units & 63) == 0 ? -1L : (1L << units) - 1;
        int[] n = cnt[l];
        int[] fc = fcnt[l];
        float[] pl = p[l];

        // learn p: how many units of each class of the last step (a, b, c) this step reads
        int pu = prevUnits[l];
        if (t > 1 && pu > 0) {
            int[] rk = readsOf;
            Arrays.fill(rk, 0);
            int pw = Bits.words(pu);
            long pm = (pu & 63) == 0 ? -1L : (1L << pu) - 1;
            for (int bk = 0; bk < BUCKETS; bk++) {
                int base = bk * HISTORY;
                int readB = 0;
                for (int w = bucketStart(bk, pw), e = bucketStart(bk + 1, pw); w < e; w++) {
                    long ro = w < readWords ? r[w] : 0L;
                    if (w == pw - 1) {
                        ro &= pm;
                    }
                    if (ro == 0) {
                        continue;
                    }
                    readB += Long.bitCount(ro);
                    long aw = a[w], bw = b[w], cw = c[w];
                    if ((aw | bw | cw) != 0) {
                        for (int k = 1; k < HISTORY; k++) {
                            rk[base + k] += Long.bitCount(mask(k, aw, bw, cw) & ro);
                        }
                    }
                }
                int rest = readB;
                for (int k = 1; k < HISTORY; k++) {
                    rest -= rk[base + k];
                }
                rk[base] = rest;
            }
            float lambda = t < 10 ? 0.5f : 0.1f;
            for (int k = 0; k < CLASSES; k++) {
                if (n[k] > 0) {
                    float obs = Math.min(1f, (float) rk[k] / n[k]);
                    pl[k] = Math.min(P_MAX, Math.max(0f, pl[k] + lambda * (obs - pl[k])));
                }
            }
        }

        // count the new classes (r, a, b) and their fast units; count this step's hits
        Arrays.fill(n, 0);
        Arrays.fill(fc, 0);
        int hits = 0;
        for (int bk = 0; bk < BUCKETS; bk++) {
            int base = bk * HISTORY;
            int ws = bucketStart(bk, words), we = bucketStart(bk + 1, words);
            int fastB = 0;
            for (int w = ws; w < we; w++) {
                long rw = w < readWords ? r[w] : 0L;
                long aw = a[w], bw = b[w], fw = f[w];
                hits += Long.bitCount(rw & fw);
                fastB += Long.bitCount(fw);
                if ((rw | aw | bw) != 0) {
                    for (int k = 1; k < HISTORY; k++) {
                        long m = mask(k, rw, aw, bw);
                        n[base + k] += Long.bitCount(m);
                        fc[base + k] += Long.bitCount(m & fw);
                    }
                }
            }
            int all = Math.min(units, we << 6) - (ws << 6);
            int fast = fastB;
            for (int k = 1; k < HISTORY; k++) {
                all -= n[base + k];
                fast -= fc[base + k];
            }
            n[base] = Math.max(0, all);
            fc[base] = fast;
        }
        // shift the history: c <- b <- a <- r
        long[] old = h2[l];
        h2[l] = b;
        h1[l] = a;
        h0[l] = old;
        System.arraycopy(r, 0, old, 0, Math.min(readWords, words));
        if (readWords < words) {
            Arrays.fill(old, readWords, words, 0L);
        }
        prevUnits[l] = units;

        // value: expected reads over the horizon, per class (a two-state model per age bucket:
        // read density pi, persistence lambda = p(read again) - p(drawn when cold))
        float[] vl = value[l];
        for (int bk = 0; bk < BUCKETS; bk++) {
            int base = bk * HISTORY;
            double all = 0, rd = 0;
            for (int k = 0; k < HISTORY; k++) {
                all += n[base + k];
                if ((k & 4) != 0) {
                    rd += n[base + k];
                }
            }
            double pi = all > 0 ? rd / all : 0;
            double lam = Math.max(0, Math.min(0.99, pl[base + 7] - pl[base]));
            double sum = lam >= 0.99 ? HORIZON : (1 - Math.pow(lam, HORIZON)) / (1 - lam);
            for (int k = 0; k < HISTORY; k++) {
                vl[base + k] = (float) (HORIZON * pi + (pl[base + k] - pi) * sum);
            }
        }

        // target
        double u = placement.unitBytes();
        double predicted = 0, predictedFast = 0, readFast = 0, lost = 0, won = 0;
        for (int k = 0; k < CLASSES; k++) {
            predicted += n[k] * (double) pl[k];
            predictedFast += fc[k] * (double) pl[k];
            int hk = k & (HISTORY - 1);
            if ((hk & 4) != 0) {
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
        double tau = Math.max(0, Math.min(1, balancedShare(predicted * u, churn[l]) ));
        double want = Math.min(tau * predicted, placement.fastCapacityBytes() / u);
        double margin = (copyCost - 1) + 4 * pingPong[l];

        sortByP(vl);
        int promoted = 0, demoted = 0, pp = 0;
        // the band [want, want + 2 h]: a shortfall costs a slow read, an excess only a fast one
        double band = HYSTERESIS * predicted;
        double deficit = want + band - predictedFast;
        if (predictedFast < want - 1) {
            // the slack the slow link leaves (promotion and as much demotion charged), plus a burst
            double ta = hits * u;
            double slack = (cost.fastTime((long) ta, 0, 0, 0) - cost.slowTime((long) (reads.readCount() * u - ta), 0,
                    0, 0)) / (1 / cost.hardware().slowRead() - 2 / cost.hardware().fastBandwidth()) / u;
            double cap = Math.max(0, slack) + BURST * predicted * (1 - pingPong[l]);
            int np = 0;
            double got = 0;
            float lowest = Float.MAX_VALUE;
            long[] h0l = h0[l], h1l = h1[l], h2l = h2[l];
            for (int i = 0; i < CLASSES && got < deficit && np < cap; i++) {
                int k = order[i];
                float pk = pl[k];
                if (vl[k] < 1 + margin || n[k] - fc[k] <= 0) {
                    continue;
                }
                int need = (int) Math.min(Math.ceil((deficit - got) / pk), cap - np);
                int hk = k & (HISTORY - 1);
                for (int w = bucketStart(k / HISTORY + 1, words) - 1, e = bucketStart(k / HISTORY, words);
                        w >= e && need > 0; w--) {
                    long m = mask(hk, h0l[w], h1l[w], h2l[w]) & ~f[w];
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
            }
            if (np > 0) {
                long free = placement.fastFreeBytes() / placement.unitBytes();
                int needRoom = (int) Math.max(0, np - free);
                if (needRoom > 0) {
                    double maxVictim = lowest - 1 - margin;
                    int got2 = evict(needRoom, maxVictim, placement, plan);
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
            }
        } else if (-deficit > band + 1) {
            // above target: demote units of the lowest classes that are still read
            double excess = -deficit;
            for (int i = CLASSES - 1; i >= 0 && excess > 0; i--) {
                int k = order[i];
                float pk = pl[k];
                if (fc[k] == 0 || pk * HORIZON < 1 + margin) {
                    continue;
                }
                int need = (int) Math.ceil(excess / pk);
                int hk = k & (HISTORY - 1);
                for (int w = bucketStart(k / HISTORY, words), e = bucketStart(k / HISTORY + 1, words);
                        w < e && need > 0; w++) {
                    long m = mask(hk, h0[l][w], h1[l][w], h2[l][w]) & f[w];
                    while (m != 0 && need > 0) {
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
        }
        int moves = promoted + demoted;
        if (moves > 0) {
            pingPong[l] = 0.9 * pingPong[l] + 0.1 * ((double) pp / moves);
        } else {
            pingPong[l] *= 0.99;
        }
    }

    // First word of age bucket b (0 = oldest half, 1 = next quarter, 2 = next eighth, 3 = newest
    // eighth) of a layer of `words` words; bucket BUCKETS ends at `words`.
    private static int bucketStart(int b, int words) {
        return switch (b) {
            case 0 -> 0;
            case 1 -> words / 2;
            case 2 -> words * 3 / 4;
            case 3 -> words * 7 / 8;
            default -> words;
        };
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
                cost.slowTime((long) readBytes - a, 0, moved, moved));
    }

    // Demotes up to `need` fast units of the classes with the lowest p over all layers, each below
    // maxP, none promoted less than MIN_RESIDENCY steps ago unless it went cold. Returns how many.
    private int evict(int need, double maxP, Placement placement, MigrationPlan plan) {
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
            int hk = bk & (HISTORY - 1);
            for (int w = bucketStart(bk / HISTORY, words), e = bucketStart(bk / HISTORY + 1, words);
                    w < e && done < need; w++) {
                long m = mask(hk, h0[bl][w], h1[bl][w], h2[bl][w]) & f[w];
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

    private void sortByP(float[] pl) {
        for (int i = 0; i < CLASSES; i++) {
            order[i] = i;
        }
        for (int i = 1; i < CLASSES; i++) {
            int x = order[i];
            int j = i - 1;
            while (j >= 0 && pl[order[j]] < pl[x]) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = x;
        }
    }

    // The units of history class k (bit 2: a, bit 1: b, bit 0: c).
    private static long mask(int k, long a, long b, long c) {
        long x = (k & 4) != 0 ? a : ~a;
        x &= (k & 2) != 0 ? b : ~b;
        return x & ((k & 1) != 0 ? c : ~c);
    }

    @Override
    public String toString() {
        return "balance";
    }
}
