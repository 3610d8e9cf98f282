package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * The paper's clairvoyant policy: look ahead {@code Wn} decode tokens, promote the top fraction
 * {@code R} of the slow units that will be read, evict units that will not be read.
 *
 * <p>After a step of layer {@code l} at position {@code n}, each unit of layer {@code l} is scored
 * {@code sum 1/k} over the steps {@code (n+k, l)}, {@code k = 1..Wn}, that read it. Of the
 * slow-tier units with a positive score, the {@code ceil(R * count)} best are promoted (fewer
 * when room runs out: then the best that fit). Room comes from demoting fast units of layer {@code l} that no step of the window
 * reads (lowest index first), only as much as the promotions need; when none is left the
 * remaining candidates stay slow. New units go to the fast tier while it has room; when it is
 * full, a new unit that the window reads displaces one unread unit of its layer, else it goes
 * to the slow tier. Future reads come from the driver's bounded look-ahead buffer. No
 * allocation per step after the first steps have sized the scratch buffers.
 *
 * <p>Scores are float sums in the order {@code k = 1, 2, ...}; ties go to the lower id. They are
 * computed word by word: the window's read sets of a word are transposed eight offsets at a time
 * into one bit pattern per unit (for windows up to 16 kept per layer and slid by one offset from
 * one step of the layer to the next: a shift and the new last offset's bits), the sum over
 * offsets 1 to 16 is looked up in a table of every pattern's sum (built by the same additions in
 * the same order) and later offsets are added in order (17 to 32 offset by offset for all of the
 * step's candidates at once, {@code 1/k} times 1 or 0: loops C2 vectorizes), so every score is
 * the bits the read-by-read sum gives. The best are found by a histogram of the scores' top bits
 * and a quickselect within the bucket of the threshold; the plan lists them in no particular
 * order.
 */
public final class OraclePolicy implements PlacementPolicy {

    private final int window;
    private final double fraction;
    private long[] union = new long[0];
    private long[] keys = new long[0];
    private long[] spare = new long[0];
    private final int[] buckets = new int[1 << BUCKET_BITS];
    private final long[][] win;
    private final float[] inv;
    // a word's window transposed: byte j of tr[c][b] holds the reads of unit 8b + j at offsets
    // 8c + 1 .. 8c + 8 (bit i: offset 8c + 1 + i)
    private final long[][] tr = new long[4][8];
    // windows up to 16: per layer, every word's window transposed (16 longs a word: tr[0] then
    // tr[1] of the layout above), slid by one offset from one step of the layer to the next
    private long[][] slid = new long[0][];
    private int[] slidPosition = new int[0];
    private int[] slidSeen = new int[0];
    private int slidWords;
    // windows over 16, the step's candidates: id, score so far, reads at offsets 17..32 (bit i:
    // offset 17 + i)
    private int[] candIds = new int[0];
    private float[] candScores = new float[0];
    private int[] candLater = new int[0];

    /** Bits of the window at offsets 1 .. {@code TABLE_BITS} that {@link #SUMS} looks up at once. */
    static final int TABLE_BITS = 16;
    /**
     * {@code SUMS[p]}: a unit's score {@code sum 1/k} over the offsets {@code k} whose bit {@code
     * k - 1} is set in {@code p}, added in the order {@code k = 1, 2, ...} from 0: each entry is the
     * entry without its highest bit plus that offset's {@code 1/k}, so it is the same float
     * additions in the same order as a sum over the reads one by one, bit for bit.
     */
    private static final float[] SUMS = sums();

    private static float[] sums() {
        float[] t = new float[1 << TABLE_BITS];
        for (int p = 1; p < t.length; p++) {
            int top = 31 - Integer.numberOfLeadingZeros(p);
            t[p] = t[p & ~(1 << top)] + 1f / (top + 1);
        }
        return t;
    }

    /**
     * An oracle with fixed parameters.
     *
     * @param window   look-ahead {@code Wn} in decode tokens, at least 1
     * @param fraction promotion fraction {@code R} in {@code (0, 1]}
     * @throws IllegalArgumentException naming the bad value
     */
    public OraclePolicy(int window, double fraction) {
        if (window < 1 || window > 4096) {
            throw new IllegalArgumentException("Wn must be in [1, 4096], got " + window);
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("R must be in (0, 1], got " + fraction);
        }
        this.window = window;
        this.fraction = fraction;
        this.win = new long[window + 1][];
        this.inv = new float[window + 1];
        for (int k = 1; k <= window; k++) {
            inv[k] = 1f / k;
        }
    }

    /** The look-ahead {@code Wn}. */
    public int window() {
        return window;
    }

    /** The promotion fraction {@code R}. */
    public double fraction() {
        return fraction;
    }

    @Override
    public String name() {
        return "oracle";
    }

    @Override
    public int lookahead() {
        return window;
    }

    @Override
    public void start(Placement placement) {
        if (window <= TABLE_BITS) {
            slidWords = Bits.words(placement.maxUnits());
            if (slid.length < placement.layers() || (slid.length > 0 && slid[0].length < slidWords << 4)) {
                slid = new long[placement.layers()][slidWords << 4];
                slidPosition = new int[placement.layers()];
                slidSeen = new int[placement.layers()];
            }
            Arrays.fill(slidPosition, Integer.MIN_VALUE);
        }
        int words = Bits.words(placement.maxUnits()) + 1;
        if (union.length < words) {
            union = new long[words];
        }
        if (keys.length < placement.maxUnits()) {
            keys = new long[placement.maxUnits()];
            spare = new long[placement.maxUnits()];
            candIds = new int[placement.maxUnits()];
            candScores = new float[placement.maxUnits()];
            candLater = new int[placement.maxUnits()];
        }
    }

    // OR of the window's read sets of `layer` into `union`; returns the number of steps seen.
    private int unionOf(int layer, Lookahead future, int words) {
        Arrays.fill(union, 0, words, 0L);
        int seen = 0;
        for (int k = 1; k <= window; k++) {
            long[] r = future.futureReads(layer, k);
            if (r == null) {
                break;
            }
            win[k] = r;
            for (int w = 0; w < words; w++) {
                union[w] |= r[w];
            }
            seen++;
        }
        return seen;
    }

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        long ub = placement.unitBytes();
        if (placement.fastFreeBytes() >= ub) {
            return true;
        }
        int units = placement.units(layer);
        int words = Bits.words(unit + 1);
        if (unionOf(layer, future, words) == 0 || !Bits.get(union, unit)) {
            return false;
        }
        long[] f = placement.fastBits(layer);
        for (int w = 0; w < Bits.words(units); w++) {
            long cold = f[w] & ~union[w];
            if (cold != 0) {
                plan.demote(layer, (w << 6) + Long.numberOfTrailingZeros(cold));
                return true;
            }
        }
        return false;
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        int layer = reads.layer();
        int units = placement.units(layer);
        int words = Bits.words(units);
        int seen = unionOf(layer, future, words);
        if (seen == 0) {
            return;
        }
        long lastMask = (units & 63) == 0 ? -1L : (1L << units) - 1;
        long[] f = placement.fastBits(layer);
        long[] st = window <= TABLE_BITS ? slide(layer, reads.position(), seen) : null;
        // candidates: slow units read in the window, scored word by word, then keyed
        // (score bits << 32 | ~id) so that larger keys are better (ties: lower id)
        int nc = 0;
        int evictableCount = 0;
        for (int w = 0; w < words; w++) {
            long cand = union[w] & ~f[w];
            if (w == words - 1) {
                cand &= lastMask;
            }
            evictableCount += Long.bitCount(f[w] & ~union[w]);
            if (cand == 0) {
                continue;
            }
            // each candidate's reads in the window as bit patterns (offsets 1..32 transposed out
            // of the window's words eight at a time): the score of offsets 1..16 looked up, then
            // the later offsets added in order
            if (st != null) {
                // windows up to 16: every score is one look-up in the layer's slid patterns
                int base = w << 4;
                while (cand != 0) {
                    int bit = Long.numberOfTrailingZeros(cand);
                    cand &= cand - 1;
                    int b = bit >>> 3, sh = (bit & 7) << 3;
                    float sc = SUMS[(int) ((st[base + b] >>> sh) & 0xFF)
                            | (int) ((st[base + 8 + b] >>> sh) & 0xFF) << 8];
                    int id = (w << 6) + bit;
                    keys[nc++] = ((long) Float.floatToIntBits(sc) << 32) | (~id & 0xFFFFFFFFL);
                }
                continue;
            }
            int chunks = Math.min(4, (seen + 7) >>> 3);
            for (int c = 0; c < 4; c++) {
                if (c < chunks) {
                    transpose(w, 8 * c + 1, seen, tr[c]);
                } else {
                    Arrays.fill(tr[c], 0L);
                }
            }
            long[] t0 = tr[0], t1 = tr[1], t2 = tr[2], t3 = tr[3];
            // windows over 16: each candidate's score of offsets 1..16 and its reads at 17..32,
            // completed below for all of the step's candidates at once
            while (cand != 0) {
                int bit = Long.numberOfTrailingZeros(cand);
                cand &= cand - 1;
                int b = bit >>> 3, sh = (bit & 7) << 3;
                candIds[nc] = (w << 6) + bit;
                candScores[nc] = SUMS[(int) ((t0[b] >>> sh) & 0xFF) | (int) ((t1[b] >>> sh) & 0xFF) << 8];
                candLater[nc++] = (int) ((t2[b] >>> sh) & 0xFF) | (int) ((t3[b] >>> sh) & 0xFF) << 8;
            }
        }
        if (st == null) {
            // offsets 17..32 in order: 1/k times 1 where the offset reads the candidate, times 0
            // (adding +0 to a positive score) where not; long loops C2 turns into vector operations
            for (int k = TABLE_BITS + 1, last = Math.min(seen, 2 * TABLE_BITS); k <= last; k++) {
                float add = inv[k];
                int sh = k - TABLE_BITS - 1;
                for (int j = 0; j < nc; j++) {
                    candScores[j] += add * ((candLater[j] >>> sh) & 1);
                }
            }
            for (int k = 2 * TABLE_BITS + 1; k <= seen; k++) {
                long[] r = win[k];
                for (int j = 0; j < nc; j++) {
                    int id = candIds[j];
                    if ((r[id >>> 6] & (1L << id)) != 0) {
                        candScores[j] += inv[k];
                    }
                }
            }
            for (int j = 0; j < nc; j++) {
                keys[j] = ((long) Float.floatToIntBits(candScores[j]) << 32) | (~candIds[j] & 0xFFFFFFFFL);
            }
        }
        if (nc == 0) {
            return;
        }
        long free = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        long room = free / ub + evictableCount;
        int take = (int) Math.min(room, (long) Math.ceil(fraction * nc - 1e-9));
        if (take <= 0) {
            return;
        }
        long[] best = keys; // best[from, from + take): the best `take`
        int from = 0;
        if (take < nc) {
            best = spare;
            from = selectTopByScore(keys, nc, take, spare, buckets);
        }
        int evictWord = 0;
        long evictable = f[0] & ~union[0];
        for (int i = from; i < from + take; i++) {
            int id = ~(int) best[i];
            while (free < ub) {
                while (evictable == 0 && ++evictWord < words) {
                    evictable = f[evictWord] & ~union[evictWord];
                }
                if (evictable == 0) {
                    return;
                }
                plan.demote(layer, (evictWord << 6) + Long.numberOfTrailingZeros(evictable));
                evictable &= evictable - 1;
                free += ub;
            }
            plan.promote(layer, id);
            free -= ub;
        }
    }

    private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;
    private static final long BIT0 = 0x0101010101010101L;

    // The window of `layer` at `position` transposed, every word of the layer (see `slid`): the
    // previous step's patterns shifted by one offset with the window's last offset shifted in,
    // when the layer's previous plan was for the position before and saw one offset more (or the
    // whole window both times); else transposed afresh.
    private long[] slide(int layer, int position, int seen) {
        long[] st = slid[layer];
        if (slidPosition[layer] == position - 1 && slidSeen[layer] == Math.min(seen + 1, window)) {
            long[] last = seen >= window ? win[window] : null;    // offset `window`, none past `seen`
            for (int w = 0, base = 0; w < slidWords; w++, base += 16) {
                long x = last == null || w >= last.length ? 0 : last[w];
                for (int b = 0; b < 8; b++) {
                    // bit j of byte b of the new step's word to bit 0 of byte j
                    long in = Long.expand(x >>> (b << 3), BIT0);
                    long t0 = st[base + b];
                    if (window > 8) {
                        long t1 = st[base + 8 + b];
                        st[base + b] = ((t0 >>> 1) & LOW7) | ((t1 & BIT0) << 7);
                        st[base + 8 + b] = ((t1 >>> 1) & LOW7) | (in << (window - 9));
                    } else {
                        st[base + b] = ((t0 >>> 1) & LOW7) | (in << (window - 1));
                    }
                }
            }
        } else {
            // afresh, bit by bit (once per layer and replay): a driver's arrays may end before
            // the layer's last word (no reads there)
            Arrays.fill(st, 0, slidWords << 4, 0L);
            for (int k = 1; k <= seen; k++) {
                long[] r = win[k];
                int slot = k <= 8 ? 0 : 8, shift = k <= 8 ? k - 1 : k - 9;
                for (int w = 0, end = Math.min(slidWords, r.length); w < end; w++) {
                    for (long x = r[w]; x != 0; x &= x - 1) {
                        int bit = Long.numberOfTrailingZeros(x);
                        st[(w << 4) + slot + (bit >>> 3)] |= 1L << (((bit & 7) << 3) + shift);
                    }
                }
            }
        }
        slidPosition[layer] = position;
        slidSeen[layer] = seen;
        return st;
    }

    // Word w of the window's read sets at offsets k0 .. k0 + 7 (none past `seen`) transposed into
    // out: byte j of out[b] holds, at bit i, whether offset k0 + i reads unit 8b + j of the word.
    private void transpose(int w, int k0, int seen, long[] out) {
        long x0 = k0 <= seen ? win[k0][w] : 0, x1 = k0 + 1 <= seen ? win[k0 + 1][w] : 0;
        long x2 = k0 + 2 <= seen ? win[k0 + 2][w] : 0, x3 = k0 + 3 <= seen ? win[k0 + 3][w] : 0;
        long x4 = k0 + 4 <= seen ? win[k0 + 4][w] : 0, x5 = k0 + 5 <= seen ? win[k0 + 5][w] : 0;
        long x6 = k0 + 6 <= seen ? win[k0 + 6][w] : 0, x7 = k0 + 7 <= seen ? win[k0 + 7][w] : 0;
        // the 8 x 8 matrix of bytes (row i: x_i, column b: its byte b) transposed: blocks of 4, 2, 1
        long t;
        t = x0; x0 = (t & 0xFFFFFFFFL) | (x4 << 32); x4 = (t >>> 32) | (x4 & 0xFFFFFFFF00000000L);
        t = x1; x1 = (t & 0xFFFFFFFFL) | (x5 << 32); x5 = (t >>> 32) | (x5 & 0xFFFFFFFF00000000L);
        t = x2; x2 = (t & 0xFFFFFFFFL) | (x6 << 32); x6 = (t >>> 32) | (x6 & 0xFFFFFFFF00000000L);
        t = x3; x3 = (t & 0xFFFFFFFFL) | (x7 << 32); x7 = (t >>> 32) | (x7 & 0xFFFFFFFF00000000L);
        final long m16 = 0x0000FFFF0000FFFFL;
        t = x0; x0 = (t & m16) | ((x2 & m16) << 16); x2 = ((t >>> 16) & m16) | (x2 & ~m16);
        t = x1; x1 = (t & m16) | ((x3 & m16) << 16); x3 = ((t >>> 16) & m16) | (x3 & ~m16);
        t = x4; x4 = (t & m16) | ((x6 & m16) << 16); x6 = ((t >>> 16) & m16) | (x6 & ~m16);
        t = x5; x5 = (t & m16) | ((x7 & m16) << 16); x7 = ((t >>> 16) & m16) | (x7 & ~m16);
        final long m8 = 0x00FF00FF00FF00FFL;
        t = x0; x0 = (t & m8) | ((x1 & m8) << 8); x1 = ((t >>> 8) & m8) | (x1 & ~m8);
        t = x2; x2 = (t & m8) | ((x3 & m8) << 8); x3 = ((t >>> 8) & m8) | (x3 & ~m8);
        t = x4; x4 = (t & m8) | ((x5 & m8) << 8); x5 = ((t >>> 8) & m8) | (x5 & ~m8);
        t = x6; x6 = (t & m8) | ((x7 & m8) << 8); x7 = ((t >>> 8) & m8) | (x7 & ~m8);
        // now byte i of x_b is byte b of the i-th word: each x_b an 8 x 8 bit matrix to transpose
        out[0] = transpose8(x0);
        out[1] = transpose8(x1);
        out[2] = transpose8(x2);
        out[3] = transpose8(x3);
        out[4] = transpose8(x4);
        out[5] = transpose8(x5);
        out[6] = transpose8(x6);
        out[7] = transpose8(x7);
    }

    // The 8 x 8 bit matrix with bit (8 i + j) at row i, column j, transposed (delta swaps).
    static long transpose8(long x) {
        long t = (x ^ (x >>> 7)) & 0x00AA00AA00AA00AAL;
        x = x ^ t ^ (t << 7);
        t = (x ^ (x >>> 14)) & 0x0000CCCC0000CCCCL;
        x = x ^ t ^ (t << 14);
        t = (x ^ (x >>> 28)) & 0x00000000F0F0F0F0L;
        return x ^ t ^ (t << 28);
    }

    /** Bits at the top of a key (sign and exponent of the score, its highest mantissa bits) that bucket it. */
    static final int BUCKET_BITS = 13;

    /**
     * Gathers the {@code top} largest of the non-negative keys {@code a[0, n)}, {@code 0 < top <
     * n}, into {@code spare[r, r + top)} and returns {@code r}: a histogram of the keys' top
     * {@link #BUCKET_BITS} bits finds the bucket the {@code top}-th largest key falls in; only the
     * keys of that bucket and above are copied out (that bucket's first, then the ones above, each
     * in scan order), and only that bucket's are quickselected. {@code a} is left as it was;
     * {@code spare} holds at least {@code n} keys; {@code hist} is all zero and is left so.
     */
    static int selectTopByScore(long[] a, int n, int top, long[] spare, int[] hist) {
        int shift = 64 - BUCKET_BITS;
        int lo = hist.length, hi = -1;
        for (int i = 0; i < n; i++) {
            int b = (int) (a[i] >>> shift);
            hist[b]++;
            lo = Math.min(lo, b);
            hi = Math.max(hi, b);
        }
        int above = 0, t = hi;
        while (above + hist[t] < top) {
            above += hist[t--];
        }
        int inT = hist[t];
        Arrays.fill(hist, lo, hi + 1, 0);
        // spare: [keys of t][keys above t], each in scan order; the keys below t are not needed
        int pt = 0, pa = inT;
        for (int i = 0; i < n; i++) {
            long k = a[i];
            int b = (int) (k >>> shift);
            if (b == t) {
                spare[pt++] = k;
            } else if (b > t) {
                spare[pa++] = k;
            }
        }
        int fromT = top - above;
        if (fromT < inT) {
            // the best of bucket t to its end, next to the keys above it
            selectTop(spare, 0, inT, fromT);
        }
        return inT - fromT;
    }

    // Quickselect over a[from, from + n): afterwards its `top` largest keys occupy its end.
    static void selectTop(long[] a, int from, int n, int top) {
        int target = from + n - top;
        int lo = from, hi = from + n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long x = a[lo], y = a[mid], z = a[hi];
            long pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long tmp = a[i];
                    a[i] = a[j];
                    a[j] = tmp;
                    i++;
                    j--;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    // Quickselect: afterwards the `top` largest keys occupy a[n - top, n), in no particular order.
    static void selectTop(long[] a, int n, int top) {
        selectTop(a, 0, n, top);
    }

    @Override
    public String parameters() {
        return "(Wn=" + window + ", R=" + fraction + ")";
    }

    @Override
    public String toString() {
        return name() + parameters();
    }
}
