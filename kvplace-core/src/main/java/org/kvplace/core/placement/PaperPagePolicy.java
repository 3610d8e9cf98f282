package org.kvplace.core.placement;

import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceSource;

/**
 * The paper author's {@code page} variant, over 16-token pages at token granularity. Before time
 * starts each whole prompt page whose 16 tokens of all layers fit is filled, free, with its
 * first 15 tokens (as the author's fill does). A new token goes to the fast tier when it opens
 * a page and 16 tokens of all layers still fit, or when its page's first token is resident in
 * its layer. After step {@code (n, l)}, for every token the next step reads in layer {@code l}
 * that is not resident, its whole page is brought in for all layers (evicting the oldest
 * resident pages, by their first token in layer 0, until 16 tokens of all layers fit); each
 * transfer is charged as the page's bytes of all layers, read from the slow tier too when this
 * step reads the token. Looks one token ahead. Not thread-safe.
 */
public final class PaperPagePolicy extends PaperPolicy {

    /** Tokens per page. */
    public static final int PAGE = 16;

    /** A policy for runs over {@code source}'s trace (read for its header). */
    public PaperPagePolicy(TraceSource source) {
        super(source);
    }

    @Override
    public String name() {
        return "paper-page";
    }

    @Override
    public int lookahead() {
        return 1;
    }

    @Override
    void fill() {
        int pages = prompt / PAGE;
        int need = PAGE * layers;
        for (int page = 0; page < pages; page++) {
            if (count + need > maxKv) {
                return;
            }
            for (int t = page * PAGE; t < page * PAGE + PAGE - 1; t++) {
                for (int l = 0; l < layers; l++) {
                    if (!add(t, l)) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    boolean placeDecoded(int layer, int n, Lookahead future) {
        int start = n / PAGE * PAGE;
        if (n == start) {
            return maxKv - count >= PAGE * layers && add(n, layer);
        }
        return in(layer, start) && add(n, layer);
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement p, MigrationPlan plan) {
        int n = reads.position();
        int l = reads.layer();
        long[] next = n + 1 < end ? future.futureReads(l, 1) : null;
        if (next != null) {
            long[] cur = reads.readBits();
            int curUnits = reads.unitCount();
            long pageBytes = (long) PAGE * layers * unitBytes;
            for (int t = Bits.nextSet(next, 0, n + 1); t >= 0; t = Bits.nextSet(next, t + 1, n + 1)) {
                if (in(l, t)) {
                    continue;
                }
                if (transfer(t)) {
                    if (t < curUnits && Bits.get(cur, t)) {
                        slowCharge += pageBytes;
                    }
                    fastCharge += pageBytes;
                }
            }
        }
        emit(plan);
    }

    private boolean transfer(int t) {
        int start = t / PAGE * PAGE;
        int need = PAGE * layers;
        while (true) {
            if (maxKv - count >= need) {
                for (int u = start; u < start + PAGE; u++) {
                    for (int l = 0; l < layers; l++) {
                        add(u, l);
                    }
                }
                return true;
            }
            if (!evictOldest(start)) {
                return false;
            }
        }
    }

    // Evicts the oldest page below `limit` whose first token is resident in layer 0.
    private boolean evictOldest(int limit) {
        long[] h0 = hbm[0];
        int t = Bits.nextSet(h0, 0, limit);
        while (t >= 0) {
            int start = t / PAGE * PAGE;
            if (Bits.get(h0, start)) {
                for (int u = start; u < start + PAGE; u++) {
                    for (int l = 0; l < layers; l++) {
                        remove(u, l);
                    }
                }
                return true;
            }
            int from = start + PAGE;
            t = from < limit ? Bits.nextSet(h0, from, limit) : -1;
        }
        return false;
    }
}
