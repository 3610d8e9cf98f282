package org.kvplace.core.placement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;

/**
 * Shared machinery of the paper author's policy variants. Each keeps its own view of the fast
 * tier, one bit set per layer and a unit count, and changes it exactly as the author's simulator
 * does: a unit is added only while {@code count + 1 < floor(C / u)} (so at most
 * {@code floor(C / u) - 1} units are resident), and units the trace has not created yet may be
 * resident (the free fill and page transfers reserve them). After each call the difference
 * between that view and the driver's placement, over the units that exist, becomes the plan.
 * Token granularity only. Not thread-safe; {@link #start} resets it.
 */
abstract class PaperPolicy implements PlacementPolicy, InclusiveCharges {

    /** The trace the policy replays, for the free fills that see the whole trace. */
    protected final TraceSource source;
    protected Placement placement;
    protected int layers;
    protected int words;
    protected long[][] hbm;
    protected boolean[] dirty;
    protected int count;
    protected int maxKv;
    protected int prompt;
    protected int end;
    protected long unitBytes;
    protected long fastCharge;
    protected long slowCharge;
    protected boolean newFast;

    PaperPolicy(TraceSource source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public void start(Placement p) {
        this.placement = p;
        this.layers = p.layers();
        TraceHeader h = header();
        if (h.unitTokens() != 1) {
            throw new IllegalArgumentException(name() + " needs a token-granularity trace, got units of "
                    + h.unitTokens() + " tokens");
        }
        this.prompt = h.promptTokens();
        this.end = h.promptTokens() + h.decodeTokens();
        this.words = Bits.words(Math.max(p.maxUnits(), end) + 64) + 1;
        this.hbm = new long[layers][words];
        this.dirty = new boolean[layers];
        this.count = 0;
        this.unitBytes = p.unitBytes();
        this.maxKv = (int) Math.min(Integer.MAX_VALUE, p.fastCapacityBytes() / unitBytes);
        fill();
    }

    /** Fills the fast-tier view before time starts (free). */
    abstract void fill();

    private TraceHeader header() {
        try (AccessTrace t = source.open()) {
            return t.header();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Streams the whole trace through {@code visitor} (for fills). */
    final void scan(StepVisitor visitor) {
        try (AccessTrace t = source.open()) {
            TraceStep s = TraceStep.forHeader(t.header());
            while (t.next(s)) {
                if (!visitor.visit(s)) {
                    return;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Visits one step of a scan; false stops the scan. */
    @FunctionalInterface
    interface StepVisitor {
        boolean visit(TraceStep step);
    }

    final boolean in(int l, int t) {
        return Bits.get(hbm[l], t);
    }

    /** The author's add: true if resident already or added; false when the count would reach the limit. */
    final boolean add(int t, int l) {
        if (Bits.get(hbm[l], t)) {
            return true;
        }
        if (count + 1 >= maxKv) {
            return false;
        }
        Bits.set(hbm[l], t);
        count++;
        dirty[l] = true;
        return true;
    }

    final void remove(int t, int l) {
        if (Bits.get(hbm[l], t)) {
            Bits.clear(hbm[l], t);
            count--;
            dirty[l] = true;
        }
    }

    /** Keeps the view in step with a unit the driver moved on its own. */
    @Override
    public void placementChanged(int layer, int unit, boolean fast) {
        if (fast && !Bits.get(hbm[layer], unit)) {
            Bits.set(hbm[layer], unit);
            count++;
        } else if (!fast && Bits.get(hbm[layer], unit)) {
            Bits.clear(hbm[layer], unit);
            count--;
        }
    }

    /** Starts a decode step's charges. */
    final void beginStep() {
        fastCharge = 0;
        slowCharge = 0;
        newFast = false;
    }

    /** Writes the difference between the view and the driver's placement, over existing units, into the plan. */
    final void emit(MigrationPlan plan) {
        for (int l = 0; l < layers; l++) {
            if (!dirty[l]) {
                continue;
            }
            dirty[l] = false;
            int units = placement.units(l);
            long[] cur = placement.fastBits(l);
            long[] want = hbm[l];
            int ws = Bits.words(units);
            for (int w = 0; w < ws; w++) {
                long mask = w == ws - 1 && (units & 63) != 0 ? (1L << (units & 63)) - 1 : -1L;
                long c = cur[w] & mask;
                long d = want[w] & mask;
                long up = d & ~c;
                long down = c & ~d;
                while (up != 0) {
                    plan.promote(l, (w << 6) + Long.numberOfTrailingZeros(up));
                    up &= up - 1;
                }
                while (down != 0) {
                    plan.demote(l, (w << 6) + Long.numberOfTrailingZeros(down));
                    down &= down - 1;
                }
            }
        }
    }

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement p, MigrationPlan plan) {
        if (future == Lookahead.NONE) {
            return in(layer, unit); // the prompt: as the free fill left it
        }
        beginStep();
        newFast = placeDecoded(layer, unit, future);
        emit(plan);
        return in(layer, unit);
    }

    /** The author's placement of the new KV of token {@code n}; returns the author's beta. */
    abstract boolean placeDecoded(int layer, int n, Lookahead future);

    @Override
    public long chargedFastBytes() {
        return fastCharge;
    }

    @Override
    public long chargedSlowReadBytes() {
        return slowCharge;
    }

    @Override
    public boolean chargedNewToFast() {
        return newFast;
    }

    /**
     * The author's fill from the reads (reactive, SA): for positions {@code from..to}, layers in
     * order, read tokens up to {@code from} ascending, each added until the first that does not
     * fit, which ends the fill. Writes into {@code into} (cleared first) and returns the count.
     */
    final int readFill(int from, int to, long[][] into) {
        for (long[] a : into) {
            java.util.Arrays.fill(a, 0L);
        }
        int[] cnt = {0};
        scan(s -> {
            int n = s.position();
            if (n < from) {
                return true;
            }
            if (n > to) {
                return false;
            }
            long[] bits = s.readBits();
            long[] dst = into[s.layer()];
            int lim = Math.min(from + 1, s.unitCount());
            for (int t = Bits.nextSet(bits, 0, lim); t >= 0; t = Bits.nextSet(bits, t + 1, lim)) {
                if (!Bits.get(dst, t)) {
                    if (cnt[0] + 1 >= maxKv) {
                        return false;
                    }
                    Bits.set(dst, t);
                    cnt[0]++;
                }
            }
            return true;
        });
        return cnt[0];
    }

    /** Replaces the view with {@code fill} (a free refill) and marks every layer for {@link #emit}. */
    final void load(long[][] fill, int fillCount) {
        for (int l = 0; l < layers; l++) {
            System.arraycopy(fill[l], 0, hbm[l], 0, words);
            dirty[l] = true;
        }
        count = fillCount;
    }
}
