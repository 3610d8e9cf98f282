package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * {@link BalanceHistory} in its first form, for {@link ReferenceBalancePolicy}.
 * The scoring half of {@link BalancePolicy}: per layer, the read history of the last three steps
 * (three bit sets), the classes it puts units in (history pattern times age bucket), and per class
 * the learned read probability {@code p}, the unit counts and the value (expected reads over the
 * horizon). {@link #observe} updates all of it for one step; the policy reads the fields.
 *
 * <p>Owned by one policy; single-threaded; no allocation after {@link #start}.
 */
final class ReferenceBalanceHistory {

    static final int HISTORY = 9;
    static final int LONG = 8;
    static final int RUN = 15;
    static final int BUCKETS = 4;
    static final int CLASSES = HISTORY * BUCKETS;
    private static final float P_MAX = 0.995f;

    int layers;
    long[][] h0 = new long[0][];   // reads of the layer's last step
    long[][] h1 = new long[0][];   // the step before
    long[][] h2 = new long[0][];   // and the one before
    int[][] run = new int[0][];    // each unit's reads in a row, at most RUN
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
            run = new int[layers][words * 64];
        } else {
            for (int l = 0; l < layers; l++) {
                Arrays.fill(h0[l], 0L);
                Arrays.fill(h1[l], 0L);
                Arrays.fill(h2[l], 0L);
                Arrays.fill(run[l], 0);
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
                    long aw = a[w], bw = b[w], cw = c[w], lw = longWord(l, w);
                    if ((aw | bw | cw) != 0) {
                        for (int k = 1; k < HISTORY; k++) {
                            rk[base + k] += Long.bitCount(mask(k, aw, bw, cw, lw) & ro);
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

        for (int u = 0; u < units; u++) {
            boolean read = (u >> 6) < readWords && (r[u >> 6] & (1L << u)) != 0;
            run[l][u] = read ? Math.min(RUN, run[l][u] + 1) : 0;
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
                    long lw = longWord(l, w);
                    for (int k = 1; k < HISTORY; k++) {
                        long m = mask(k, rw, aw, bw, lw);
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
                if (k % HISTORY >= 4) {
                    rd += n[base + k];
                }
            }
            double pi = all > 0 ? rd / all : 0;
            for (int k = 0; k < HISTORY; k++) {
                double lam = Math.max(0, Math.min(0.99, pl[base + (k == LONG ? LONG : 7)] - pl[base]));
                double sum = lam >= 0.99 ? ReferenceBalancePolicy.HORIZON : (1 - Math.pow(lam, ReferenceBalancePolicy.HORIZON)) / (1 - lam);
                vl[base + k] = (float) (ReferenceBalancePolicy.HORIZON * pi + (pl[base + k] - pi) * sum);
            }
        }
        return hits;
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

    /** The units of word w of layer l read RUN times in a row, as bits. */
    long longWord(int l, int w) {
        long x = 0;
        for (int i = 0; i < 64; i++) {
            if (run[l][(w << 6) + i] >= RUN) {
                x |= 1L << i;
            }
        }
        return x;
    }

    // The units of history class k (bit 2: a, bit 1: b, bit 0: c; LONG: the long runs, out of 7).
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
