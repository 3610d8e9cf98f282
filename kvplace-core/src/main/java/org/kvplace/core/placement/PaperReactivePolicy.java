package org.kvplace.core.placement;

import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.trace.TraceSource;

/**
 * The paper author's {@code reactive} variant. Before time starts the fast tier is filled, free,
 * with every prompt token the trace will ever read (positions in order, layers in order, tokens
 * ascending, until the first that does not fit). Each new token goes to the fast tier while
 * there is room. After each step every read token that missed is promoted in ascending order;
 * when one does not fit, every resident token of that layer below the current position is
 * evicted (the whole loop, not one victim) and the promotion retried. Each promotion is charged
 * one unit of fast-tier write and nothing on the slow side (the step reads it anyway), even
 * when a later one in the same step evicts it again. Not thread-safe.
 */
public final class PaperReactivePolicy extends PaperPolicy {

    private int[] misses = new int[0];

    /** A policy for runs over {@code source}'s trace (read once per run for the free fill). */
    public PaperReactivePolicy(TraceSource source) {
        super(source);
    }

    @Override
    public String name() {
        return "paper-reactive";
    }

    @Override
    void fill() {
        int c = readFill(prompt, end - 1, hbm);
        count = c;
        java.util.Arrays.fill(dirty, true);
        if (misses.length < end) {
            misses = new int[end];
        }
    }

    @Override
    boolean placeDecoded(int layer, int n, Lookahead future) {
        return add(n, layer);
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement p, MigrationPlan plan) {
        int n = reads.position();
        int l = reads.layer();
        long[] bits = reads.readBits();
        int units = reads.unitCount();
        int k = 0;
        for (int t = Bits.nextSet(bits, 0, units); t >= 0; t = Bits.nextSet(bits, t + 1, units)) {
            if (!in(l, t)) {
                misses[k++] = t;
            }
        }
        for (int i = 0; i < k; i++) {
            int t = misses[i];
            boolean ok;
            while (!(ok = add(t, l))) {
                if (evictBelow(l, n) == 0) {
                    break; // nothing of this layer left to evict: the author's loop would not end
                }
            }
            if (ok) {
                fastCharge += unitBytes;
            }
        }
        emit(plan);
    }

    private int evictBelow(int l, int n) {
        long[] h = hbm[l];
        int removed = 0;
        int full = n >>> 6;
        for (int w = 0; w < full; w++) {
            removed += Long.bitCount(h[w]);
            h[w] = 0;
        }
        if ((n & 63) != 0) {
            long mask = (1L << (n & 63)) - 1;
            removed += Long.bitCount(h[full] & mask);
            h[full] &= ~mask;
        }
        count -= removed;
        if (removed > 0) {
            dirty[l] = true;
        }
        return removed;
    }
}
