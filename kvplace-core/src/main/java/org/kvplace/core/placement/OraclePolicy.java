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
 * computed word by word from one bit pattern per unit of the window's first 32 offsets, kept per
 * layer and slid by one offset from one step of the layer to the next (a shift, and the new
 * offset's bits spread into the patterns; transposed afresh after a gap), the sum over
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
    // Per layer, every word's window transposed and slid by one offset from one step of the layer
    // to the next: `chunks` groups of 8 longs a word, and byte j of long b of group c holds the
    // reads of unit 8b + j at offsets 8c + 1 .. 8c + 8 (bit i: offset 8c + 1 + i). Two groups
    // for windows up to 16, four beyond (offsets past 32 are read from the window itself).
    private final int chunks;
    private final int slidOffsets;                 // min(window, 32)
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
        this.chunks = window <= TABLE_BITS ? 2 : 4;
        this.slidOffsets = Math.min(window, 2 * TABLE_BITS);
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
        slidWords = Bits.words(placement.maxUnits());
        if (slid.length < placement.layers() || (slid.length > 0 && slid[0].length < slidWords * 8 * chunks)) {
            slid = new long[placement.layers()][slidWords * 8 * chunks];
            slidPosition = new int[placement.layers()];
            slidSeen = new int[placement.layers()];
        }
        Arrays.fill(slidPosition, Integer.MIN_VALUE);
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
        long[] st = slide(layer, reads.position(), seen);
        int stride = 8 * chunks;
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
            // each candidate's reads in the window as bit patterns (the layer's slid patterns):
            // the score of offsets 1..16 looked up, then the later offsets added in order
            int base = w * stride;
            if (window <= TABLE_BITS) {
                // every score is one look-up: keyed at once
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
            // windows over 16: each candidate's score of offsets 1..16 and its reads at 17..32,
            // completed below for all of the step's candidates at once
            while (cand != 0) {
                int bit = Long.numberOfTrailingZeros(cand);
                cand &= cand - 1;
                int b = bit >>> 3, sh = (bit & 7) << 3;
                candIds[nc] = (w << 6) + bit;
                candScores[nc] = SUMS[(int) ((st[base + b] >>> sh) & 0xFF)
                        | (int) ((st[base + 8 + b] >>> sh) & 0xFF) << 8];
                candLater[nc++] = (int) ((st[base + 16 + b] >>> sh) & 0xFF)
                        | (int) ((st[base + 24 + b] >>> sh) & 0xFF) << 8;
            }
        }
        if (window > TABLE_BITS) {
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
    // previous step's patterns shifted by one offset with offset `slidOffsets` shifted in, when
    // the layer's previous plan was for the position before and its window reached one offset
    // further (or past `slidOffsets` both times); else transposed afresh.
    private long[] slide(int layer, int position, int seen) {
        long[] st = slid[layer];
        int stride = 8 * chunks;
        if (slidPosition[layer] == position - 1
                && Math.min(slidSeen[layer], slidOffsets) == Math.min(seen + 1, slidOffsets)) {
            long[] last = seen >= slidOffsets ? win[slidOffsets] : null;  // none past `seen`
            int into = (slidOffsets - 1) >>> 3, at = (slidOffsets - 1) & 7;
            // offset k + 1 becomes offset k (bit 0 of each byte lane of group c + 1 moves to bit 7
            // of group c); bit j of byte b of the new offset's word goes to bit `at` of lane j
            if (chunks == 2) {
                for (int w = 0, base = 0; w < slidWords; w++, base += stride) {
                    long x = last == null || w >= last.length ? 0 : last[w];
                    for (int b = 0; b < 8; b++) {
                        long in = Long.expand(x >>> (b << 3), BIT0) << at;
                        long t0 = st[base + b];
                        if (into == 0) {
                            st[base + b] = ((t0 >>> 1) & LOW7) | in;   // group 1 stays empty
                        } else {
                            long t1 = st[base + 8 + b];
                            st[base + b] = ((t0 >>> 1) & LOW7) | ((t1 & BIT0) << 7);
                            st[base + 8 + b] = ((t1 >>> 1) & LOW7) | in;
                        }
                    }
                }
            } else {
                for (int w = 0, base = 0; w < slidWords; w++, base += stride) {
                    long x = last == null || w >= last.length ? 0 : last[w];
                    for (int b = 0; b < 8; b++) {
                        int i = base + b;
                        for (int c = 0; c < chunks - 1; c++, i += 8) {
                            st[i] = ((st[i] >>> 1) & LOW7) | ((st[i + 8] & BIT0) << 7);
                        }
                        st[i] = (st[i] >>> 1) & LOW7;
                        st[base + 8 * into + b] |= Long.expand(x >>> (b << 3), BIT0) << at;
                    }
                }
            }
        } else {
            // afresh, bit by bit (once per layer and replay): a driver's arrays may end before
            // the layer's last word (no reads there)
            Arrays.fill(st, 0, slidWords * stride, 0L);
            for (int k = 1; k <= Math.min(seen, slidOffsets); k++) {
                long[] r = win[k];
                int slot = ((k - 1) >>> 3) << 3, shift = (k - 1) & 7;
                for (int w = 0, end = Math.min(slidWords, r.length); w < end; w++) {
                    for (long x = r[w]; x != 0; x &= x - 1) {
                        int bit = Long.numberOfTrailingZeros(x);
                        st[w * stride + slot + (bit >>> 3)] |= 1L << (((bit & 7) << 3) + shift);
                    }
                }
            }
        }
        slidPosition[layer] = position;
        slidSeen[layer] = seen;
        return st;
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

    @Override
    public String parameters() {
        return "(Wn=" + window + ", R=" + fraction + ")";
    }

    @Override
    public String toString() {
        return name() + parameters();
    }
}
