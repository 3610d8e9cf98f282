package org.kvplace.core.placement;

import java.util.Locale;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceSource;

/**
 * The paper author's oracle, the policy its simulated-annealing search tunes, at one point
 * {@code (Wn, R)}. The decode positions are cut into {@code splits} equal contiguous chunks (the
 * author's search replays them in parallel); each chunk starts from a free fill of the fast
 * tier with every token up to its first position that the chunk reads (as {@link
 * PaperReactivePolicy} fills it for the whole trace), and its look-ahead stops at its last
 * position. A new token goes to the fast tier only if the next step reads it, evicting resident
 * tokens of its layer that the next step does not read, oldest first. After step
 * {@code (n, l)} the candidates are the tokens this step read from the slow tier that are read
 * again within the next {@code Wn} steps, ranked by the sum of {@code 1/offset} over those
 * reads (ties to the older token); the top {@code ceil(R x count)} are promoted, each evicting
 * resident tokens of the layer that no step of the window reads, and charged one unit of
 * fast-tier write. The author's simulator takes those victims in Python set order; this class
 * takes them oldest first (the only place where it departs from the author's code). Not
 * thread-safe.
 */
public final class PaperSaPolicy extends PaperPolicy {

    private final int window;
    private final double fraction;
    private final int splits;
    private long[][][] fills;
    private int[] fillCounts;
    private int[] chunkEnd;
    private int chunk;
    private double[] score = new double[0];
    private int[] cand = new int[0];
    private int[] sortScratch = new int[0];
    private long[] future = new long[0];
    private long[] none = new long[0];

    /**
     * A policy at one point of the author's search.
     *
     * @param source   the trace (read once per chunk and run for the free fills)
     * @param window   {@code Wn}, decode tokens of look-ahead, at least 1
     * @param fraction {@code R}, the share of the ranked candidates promoted, in (0, 1]
     * @param splits   chunks the decode positions are cut into, at least 1
     * @throws IllegalArgumentException naming the bad parameter
     */
    public PaperSaPolicy(TraceSource source, int window, double fraction, int splits) {
        super(source);
        if (window < 1 || window > 4096) {
            throw new IllegalArgumentException("paper-sa window must be in [1, 4096], got " + window);
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("paper-sa fraction R must be in (0, 1], got " + fraction);
        }
        if (splits < 1 || splits > 1024) {
            throw new IllegalArgumentException("paper-sa splits must be in [1, 1024], got " + splits);
        }
        this.window = window;
        this.fraction = fraction;
        this.splits = splits;
    }

    @Override
    public String name() {
        return "paper-sa";
    }

    @Override
    public int lookahead() {
        return window;
    }

    @Override
    public String parameters() {
        return String.format(Locale.ROOT, "(Wn=%d, R=%.2f, splits=%d)", window, fraction, splits);
    }

    @Override
    public String toString() {
        return name() + parameters();
    }

    @Override
    void fill() {
        int decode = end - prompt;
        int size = Math.max(1, Math.ceilDiv(decode, splits));
        int chunks = Math.ceilDiv(decode, size);
        fills = new long[chunks][layers][words];
        fillCounts = new int[chunks];
        chunkEnd = new int[chunks];
        for (int c = 0; c < chunks; c++) {
            int s = prompt + c * size;
            int e = Math.min(end - 1, s + size - 1);
            chunkEnd[c] = e;
            fillCounts[c] = readFill(s, e, fills[c]);
        }
        chunk = 0;
        if (chunks > 0) {
            load(fills[0], fillCounts[0]);
        }
        if (score.length < end) {
            score = new double[end];
            cand = new int[end];
            sortScratch = new int[end];
        }
        if (future.length < words) {
            future = new long[words];
            none = new long[words];
        }
    }

    @Override
    boolean placeDecoded(int layer, int n, Lookahead la) {
        long[] next = la.futureReads(layer, 1);
        if (next == null || !Bits.get(next, n)) {
            return false;
        }
        if (add(n, layer)) {
            return true;
        }
        long[] h = hbm[layer];
        for (int t = Bits.nextSet(h, 0, n); t >= 0; t = Bits.nextSet(h, t + 1, n)) {
            if (!Bits.get(next, t)) {
                remove(t, layer);
                if (add(n, layer)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void plan(StepReads reads, Lookahead la, Placement p, MigrationPlan plan) {
        int n = reads.position();
        int l = reads.layer();
        long[] cur = reads.readBits();
        int curUnits = reads.unitCount();
        int k = 0;
        int lastChunkEnd = chunkEnd.length == 0 ? end - 1 : chunkEnd[chunk];
        for (int off = 1; off <= window && n + off <= lastChunkEnd; off++) {
            long[] fr = la.futureReads(l, off);
            if (fr == null) {
                break;
            }
            double inv = 1.0 / off;
            for (int t = Bits.nextSet(fr, 0, n + 1); t >= 0; t = Bits.nextSet(fr, t + 1, n + 1)) {
                Bits.set(future, t);
                if (t < curUnits && Bits.get(cur, t) && !in(l, t)) {
                    if (score[t] == 0) {
                        cand[k++] = t;
                    }
                    score[t] += inv;
                }
            }
        }
        if (k > 0) {
            sort(k);
            long topK = (long) Math.ceil(fraction * k);
            long migrated = 0;
            int cursor = 0;
            long[] h = hbm[l];
            int limit = words << 6;
            for (int i = 0; i < k && migrated < topK; i++) {
                int t = cand[i];
                boolean ok = true;
                while (!add(t, l)) {
                    int v = Bits.nextSet(h, cursor, limit);
                    while (v >= 0 && Bits.get(future, v)) {
                        v = Bits.nextSet(h, v + 1, limit);
                    }
                    if (v < 0) {
                        ok = false;
                        cursor = limit;
                        break;
                    }
                    remove(v, l);
                    cursor = v + 1;
                }
                if (ok) {
                    fastCharge += unitBytes;
                    migrated++;
                }
            }
            for (int i = 0; i < k; i++) {
                score[cand[i]] = 0;
            }
        }
        System.arraycopy(none, 0, future, 0, Math.min(words, Bits.words(n + 1) + 1));
        if (l == layers - 1 && chunk + 1 < chunkEnd.length && n == chunkEnd[chunk]) {
            chunk++;
            load(fills[chunk], fillCounts[chunk]);
        }
        emit(plan);
    }

    // Sorts cand[0..k) by score descending, then token ascending (a stable merge sort, no allocation).
    private void sort(int k) {
        for (int width = 1; width < k; width <<= 1) {
            for (int lo = 0; lo < k - width; lo += width << 1) {
                int mid = lo + width;
                int hi = Math.min(lo + (width << 1), k);
                int i = lo, j = mid, o = lo;
                while (i < mid && j < hi) {
                    sortScratch[o++] = before(cand[j], cand[i]) ? cand[j++] : cand[i++];
                }
                while (i < mid) {
                    sortScratch[o++] = cand[i++];
                }
                while (j < hi) {
                    sortScratch[o++] = cand[j++];
                }
                System.arraycopy(sortScratch, lo, cand, lo, hi - lo);
            }
        }
    }

    private boolean before(int a, int b) {
        return score[a] > score[b] || (score[a] == score[b] && a < b);
    }
}
