package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * The scoring half of {@link BalancePolicy}: per layer, the read history of the last three steps
 * (three bit sets) and each unit's run of reads in a row (up to {@link #RUN}, a counter in four
 * bit planes), the classes it puts units in (history pattern times age bucket), and per class
 * the learned read probability {@code p}, the unit counts and the value (expected reads over the
 * horizon). {@link #observe} updates all of it for one step; the policy reads the fields.
 *
 * <p>Owned by one policy; single-threaded; no allocation after {@link #start}.
 */
final class BalanceHistory {

    static final int HISTORY = 9;
    /**
     * The pattern of the units read at each of the last {@link #RUN} steps of their layer (taken
     * out of pattern 7, read at the last three).
     */
    static final int LONG = 8;
    /** Reads in a row that make a run long: a unit that churns survives them rarely. */
    static final int RUN = 15;
    static final int BUCKETS = 4;
    static final int CLASSES = HISTORY * BUCKETS;
    private static final float P_MAX = 0.995f;

    int layers;
    long[][] h0 = new long[0][];   // reads of the layer's last step
    long[][] h1 = new long[0][];   // the step before
    long[][] h2 = new long[0][];   // and the one before
    // per layer, the length of each unit's current run of reads, saturating at RUN = 15, in four
    // bit planes, and the units whose run is long (all four set)
    long[][] s0 = new long[0][], s1 = new long[0][], s2 = new long[0][], s3 = new long[0][];
    long[][] lg = new long[0][];
    private int[] prevUnits = new int[0];
    int[] now = new int[0];
    float[][] p = new float[0][];
    float[][] value = new float[0][];
    int[][] cnt = new int[0][];
    int[][] fcnt = new int[0][];
    /** Classes by value, highest first, of the layer last passed to {@link #sortByValue}. */
    final int[] order = new int[CLASSES];
    private final int[] readsOf = new int[CLASSES];  // scratch: reads per class of the last step

    /**
     * Resets the history for a run of {@code layers} layers of at most {@code maxUnits} units.
     *
     * @return whether the bit sets were reallocated (the caller's per-unit arrays then must be too)
     */
    boolean start(int layers, int maxUnits) {
        this.layers = layers;
        int words = Bits.words(maxUnits) + 1;
        boolean fresh = h0.length != layers || h0[0].length < words;
        if (fresh) {
            h0 = new long[layers][words];
            h1 = new long[layers][words];
            h2 = new long[layers][words];
            s0 = new long[layers][words];
            s1 = new long[layers][words];
            s2 = new long[layers][words];
            s3 = new long[layers][words];
            lg = new long[layers][words];
        } else {
            for (int l = 0; l < layers; l++) {
                Arrays.fill(h0[l], 0L);
                Arrays.fill(h1[l], 0L);
                Arrays.fill(h2[l], 0L);
                Arrays.fill(s0[l], 0L);
                Arrays.fill(s1[l], 0L);
                Arrays.fill(s2[l], 0L);
                Arrays.fill(s3[l], 0L);
                Arrays.fill(lg[l], 0L);
            }
        }
        prevUnits = new int[layers];
        now = new int[layers];
        p = new float[layers][CLASSES];
        value = new float[layers][CLASSES];
        cnt = new int[layers][CLASSES];
        fcnt = new int[layers][CLASSES];
        for (float[] q : p) {
            Arrays.fill(q, 0.5f);
            for (int bk = 0; bk < BUCKETS; bk++) {
                q[bk * HISTORY] = 0.02f;
            }
        }
        return fresh;
    }

    /**
     * Takes one step's reads of layer {@code reads.layer()}: advances the layer's step counter,
     * learns {@code p} from how the last step's classes were read now, counts the new classes and
     * their fast units, shifts the history and values the classes.
     *
     * @return the step's fast-tier hits (units read that are fast)
     */
    int observe(StepReads reads, Placement placement) {
        int l = reads.layer();
        int units = placement.units(l);
        int words = Bits.words(units);
        long[] r = reads.readBits();
        long[] f = placement.fastBits(l);
        long[] a = h0[l], b = h1[l], c = h2[l];
        int t = ++now[l];
        int readWords = Bits.words(reads.unitCount());
        int[] n = cnt[l];
        int[] fc = fcnt[l];
        float[] pl = p[l];

        // learn p: how many units of each class of the last step (a, b, c) this step reads
        int pu = prevUnits[l];
        long[] s0l = s0[l], s1l = s1[l], s2l = s2[l], s3l = s3[l], lgl = lg[l];
        if (t > 1 && pu > 0) {
            int[] rk = readsOf;
            Arrays.fill(rk, 0);
            int pw = Bits.words(pu);
            long pm = (pu & 63) == 0 ? -1L : (1L << pu) - 1;
            for (int bk = 0; bk < BUCKETS; bk++) {
                int base = bk * HISTORY;
                int readB = 0;
                // reads among a, b, c and their intersections; the classes by inclusion-exclusion
                int xa = 0, xb = 0, xc = 0, xab = 0, xac = 0, xbc = 0, xabc = 0, xl = 0;
                for (int w = bucketStart(bk, pw), e = bucketStart(bk + 1, pw); w < e; w++) {
                    long ro = w < readWords ? r[w] : 0L;
                    if (w == pw - 1) {
                        ro &= pm;
                    }
                    if (ro == 0) {
                        continue;
                    }
                    readB += Long.bitCount(ro);
                    long aw = a[w] & ro, bw = b[w] & ro, cw = c[w] & ro;
                    if ((aw | bw | cw) != 0) {
                        long ab = aw & bw;
                        xa += Long.bitCount(aw);
                        xb += Long.bitCount(bw);
                        xc += Long.bitCount(cw);
                        xab += Long.bitCount(ab);
                        xac += Long.bitCount(aw & cw);
                        xbc += Long.bitCount(bw & cw);
                        xabc += Long.bitCount(ab & cw);
                        xl += Long.bitCount(lgl[w] & ro);
                    }
                }
                byClass(rk, base, xa, xb, xc, xab, xac, xbc, xabc);
                rk[base + 7] -= xl;
                rk[base + LONG] = xl;
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

        // the runs of reads: one longer where read (saturating at RUN), else none; bit-sliced
        for (int w = 0; w < words; w++) {
            long rw = w < readWords ? r[w] : 0L;
            long p0 = s0l[w], p1 = s1l[w], p2 = s2l[w], p3 = s3l[w];
            long carry = rw & ~(p0 & p1 & p2 & p3);
            long n0 = (p0 ^ carry) & rw;
            carry &= p0;
            long n1 = (p1 ^ carry) & rw;
            carry &= p1;
            long n2 = (p2 ^ carry) & rw;
            carry &= p2;
            long n3 = (p3 ^ carry) & rw;
            s0l[w] = n0;
            s1l[w] = n1;
            s2l[w] = n2;
            s3l[w] = n3;
            lgl[w] = n0 & n1 & n2 & n3;
        }
        // count the new classes (r, a, b) and their fast units; count this step's hits
        Arrays.fill(n, 0);
        Arrays.fill(fc, 0);
        int hits = 0;
        for (int bk = 0; bk < BUCKETS; bk++) {
            int base = bk * HISTORY;
            int ws = bucketStart(bk, words), we = bucketStart(bk + 1, words);
            int fastB = 0;
            // units and fast units among r, a, b and their intersections; the classes by
            // inclusion-exclusion (every class but 0 has a set bit)
            int xr = 0, xa = 0, xb = 0, xra = 0, xrb = 0, xab = 0, xrab = 0;
            int yr = 0, ya = 0, yb = 0, yra = 0, yrb = 0, yab = 0, yrab = 0;
            int xl = 0, yl = 0;
            for (int w = ws; w < we; w++) {
                long rw = w < readWords ? r[w] : 0L;
                long aw = a[w], bw = b[w], fw = f[w];
                long rf = rw & fw;
                hits += Long.bitCount(rf);
                fastB += Long.bitCount(fw);
                if ((rw | aw | bw) != 0) {
                    long ra = rw & aw, rb = rw & bw, ab = aw & bw, rab = ra & bw;
                    xr += Long.bitCount(rw);
                    xa += Long.bitCount(aw);
                    xb += Long.bitCount(bw);
                    xra += Long.bitCount(ra);
                    xrb += Long.bitCount(rb);
                    xab += Long.bitCount(ab);
                    xrab += Long.bitCount(rab);
                    yr += Long.bitCount(rf);
                    ya += Long.bitCount(aw & fw);
                    yb += Long.bitCount(bw & fw);
                    yra += Long.bitCount(ra & fw);
                    yrb += Long.bitCount(rb & fw);
                    yab += Long.bitCount(ab & fw);
                    yrab += Long.bitCount(rab & fw);
                    long lw = lgl[w];
                    xl += Long.bitCount(lw);
                    yl += Long.bitCount(lw & fw);
                }
            }
            byClass(n, base, xr, xa, xb, xra, xrb, xab, xrab);
            byClass(fc, base, yr, ya, yb, yra, yrb, yab, yrab);
            n[base + 7] -= xl;
            n[base + LONG] = xl;
            fc[base + 7] -= yl;
            fc[base + LONG] = yl;
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
                if (readNow(k)) {
                    rd += n[base + k];
                }
            }
            double pi = all > 0 ? rd / all : 0;
            double sum = persistence(pl[base + 7] - pl[base]);
            for (int k = 0; k < LONG; k++) {
                vl[base + k] = (float) (BalancePolicy.HORIZON * pi + (pl[base + k] - pi) * sum);
            }
            // the long runs persist by their own rate
            vl[base + LONG] = (float) (BalancePolicy.HORIZON * pi
                    + (pl[base + LONG] - pi) * persistence(pl[base + LONG] - pl[base]));
        }
        return hits;
    }

    // Expected reads over the horizon per unit of excess read probability that persists by lam.
    private static double persistence(double lam) {
        lam = Math.max(0, Math.min(0.99, lam));
        return lam >= 0.99 ? BalancePolicy.HORIZON : (1 - Math.pow(lam, BalancePolicy.HORIZON)) / (1 - lam);
    }

    /** Whether class {@code k}'s units were read at the layer's latest step. */
    static boolean readNow(int k) {
        return k % HISTORY >= 4;
    }

    /** Sorts the classes by {@code values}, highest first, into {@link #order} (stable). */
    void sortByValue(float[] values) {
        for (int i = 0; i < CLASSES; i++) {
            order[i] = i;
        }
        for (int i = 1; i < CLASSES; i++) {
            int x = order[i];
            int j = i - 1;
            while (j >= 0 && values[order[j]] < values[x]) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = x;
        }
    }

    // Adds to counts[base + k], k = 1..7, the members of history class k (bit 2: x, bit 1: y,
    // bit 0: z; see mask) from the sizes of x, y, z and of their intersections.
    private static void byClass(int[] counts, int base, int x, int y, int z, int xy, int xz, int yz, int xyz) {
        counts[base + 7] += xyz;
        counts[base + 6] += xy - xyz;
        counts[base + 5] += xz - xyz;
        counts[base + 4] += x - xy - xz + xyz;
        counts[base + 3] += yz - xyz;
        counts[base + 2] += y - xy - yz + xyz;
        counts[base + 1] += z - xz - yz + xyz;
    }

    // First word of age bucket b (0 = oldest half, 1 = next quarter, 2 = next eighth, 3 = newest
    // eighth) of a layer of `words` words; bucket BUCKETS ends at `words`.
    static int bucketStart(int b, int words) {
        return switch (b) {
            case 0 -> 0;
            case 1 -> words / 2;
            case 2 -> words * 3 / 4;
            case 3 -> words * 7 / 8;
            default -> words;
        };
    }

    // The units of history pattern k (bit 2: a, bit 1: b, bit 0: c; LONG: the long runs l, which
    // pattern 7 then excludes).
    static long mask(int k, long a, long b, long c, long l) {
        if (k == LONG) {
            return l;
        }
        if (k == 7) {
            return a & b & c & ~l;
        }
        long x = (k & 4) != 0 ? a : ~a;
        x &= (k & 2) != 0 ? b : ~b;
        return x & ((k & 1) != 0 ? c : ~c);
    }
}
