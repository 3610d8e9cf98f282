package org.kvplace.core.sim;

import java.io.IOException;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

/**
 * The bounded look-ahead buffer: the current step and the next {@code lookahead} decode tokens
 * of every layer, read from the trace, checked, and coarsened to the policy's units.
 */
final class Ring implements Lookahead {

    private final AccessTrace trace;
    private final TraceHeader h;
    private final int layers;
    private final int lookahead;
    private final int factor;
    private final int g;
    private final TraceStep[] slots;
    private final int[] fine;
    private final TraceStep scratch;
    private final int[] counts;
    private final int[] hist;
    private final long total;
    private long loaded;
    private long current;

    Ring(AccessTrace trace, TraceHeader h, int lookahead, int factor, int g) {
        if (lookahead < 0) {
            throw new IllegalArgumentException("lookahead must be >= 0, got " + lookahead);
        }
        this.trace = trace;
        this.h = h;
        this.layers = h.layers();
        this.lookahead = lookahead;
        this.factor = factor;
        this.g = g;
        this.total = h.steps();
        long size = Math.min((long) (lookahead + 1) * layers, Math.max(1, total));
        int coarseUnits = (int) Math.ceilDiv((long) h.promptTokens() + h.decodeTokens(), g);
        this.slots = new TraceStep[(int) size];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new TraceStep(coarseUnits, h.hasMass() && factor == 1);
        }
        this.fine = new int[slots.length];
        this.scratch = factor == 1 ? null : TraceStep.forHeader(h);
        this.counts = new int[factor == 1 ? 0 : Math.max(coarseUnits, (Bits.words(h.maxUnits()) + 1) * 64 / factor) + 1];
        this.hist = new int[factor + 1];
    }

    void load(long s) throws IOException {
        current = s;
        while (loaded < total && loaded < s + slots.length) {
            int slot = (int) (loaded % slots.length);
            TraceStep into = factor == 1 ? slots[slot] : scratch;
            if (!trace.next(into)) {
                throw new IllegalStateException("trace ended after " + loaded + " of " + total + " steps");
            }
            int n = h.promptTokens() + (int) (loaded / layers);
            int l = (int) (loaded % layers);
            if (into.position() != n || into.layer() != l) {
                throw new IllegalStateException("trace step " + loaded + ": expected n=" + n + " l=" + l + ", got n="
                        + into.position() + " l=" + into.layer());
            }
            int units = h.unitsBefore(n);
            if (into.unitCount() != units || beyond(into.readBits(), units)) {
                throw new IllegalStateException("step n=" + n + " l=" + l + ": reads units beyond the " + units
                        + " that exist (tokens 0.." + (n - 1) + ")");
            }
            fine[slot] = into.readCount();
            if (factor != 1) {
                coarsen(into, slots[slot], n, l);
            }
            loaded++;
        }
    }

    private static boolean beyond(long[] bits, int units) {
        int w = units >>> 6;
        if (w < bits.length && (bits[w] & (-1L << units)) != 0 && (units & 63) != 0) {
            return true;
        }
        for (int i = (units + 63) >>> 6; i < bits.length; i++) {
            if (bits[i] != 0) {
                return true;
            }
        }
        return false;
    }

    // Quest-style selection: read the units holding the most read tokens, as many as the step's
    // budget fills (ceil(fine reads / factor) units), ties toward newer units.
    private void coarsen(TraceStep from, TraceStep to, int n, int l) {
        int units = Math.ceilDiv(n, g);
        to.reset(n, l, units);
        long[] src = from.readBits();
        int[] c = counts;
        java.util.Arrays.fill(c, 0, units, 0);
        int words = Bits.words(from.unitCount());
        if (factor <= 64 && 64 % factor == 0) {
            int per = 64 / factor;
            long mask = factor == 64 ? -1L : (1L << factor) - 1;
            for (int w = 0; w < words; w++) {
                long word = src[w];
                if (word == 0) {
                    continue;
                }
                int base = w * per;
                for (int j = 0; j < per; j++) {
                    c[base + j] = Long.bitCount((word >>> (j * factor)) & mask);
                }
            }
        } else {
            int fu = from.unitCount();
            for (int i = Bits.nextSet(src, 0, fu); i >= 0; i = Bits.nextSet(src, i + 1, fu)) {
                c[i / factor]++;
            }
        }
        int budget = Math.ceilDiv(from.readCount(), factor);
        java.util.Arrays.fill(hist, 0);
        for (int u = 0; u < units; u++) {
            hist[c[u]]++;
        }
        int threshold = factor;
        int above = 0; // units with a count above the threshold
        while (threshold > 0 && above + hist[threshold] < budget) {
            above += hist[threshold];
            threshold--;
        }
        int atThreshold = budget - above;
        long[] dst = to.readBits();
        for (int u = units - 1; u >= 0; u--) {
            if (c[u] > threshold || (c[u] == threshold && c[u] > 0 && atThreshold-- > 0)) {
                dst[u >>> 6] |= 1L << u;
            }
        }
        to.recount();
    }

    TraceStep step(long s) {
        return slots[(int) (s % slots.length)];
    }

    int fineCount(long s) {
        return fine[(int) (s % slots.length)];
    }

    void expectEnd() throws IOException {
        if (trace.next(scratch != null ? scratch : slots[0])) {
            throw new IllegalStateException("trace has more steps than its header's " + total);
        }
    }

    @Override
    public long[] futureReads(int layer, int ahead) {
        if (ahead < 1 || ahead > lookahead || layer < 0 || layer >= layers) {
            return null;
        }
        long idx = (current / layers + ahead) * layers + layer;
        if (idx >= loaded) {
            return null;
        }
        return slots[(int) (idx % slots.length)].readBits();
    }
}
