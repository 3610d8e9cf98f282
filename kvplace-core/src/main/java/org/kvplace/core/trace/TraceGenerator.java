package org.kvplace.core.trace;

import org.kvplace.core.trace.Bits;

/**
 * A seeded synthetic trace (see {@link GeneratorConfig} for the model of the read sets). Steps
 * are produced on demand: memory is a few arrays of {@link TraceHeader#maxUnits()} per layer,
 * whatever the number of decode tokens. Equal configs give identical traces. Not thread-safe.
 */
public final class TraceGenerator implements AccessTrace {

    private final GeneratorConfig cfg;
    private final TraceHeader header;
    private final int sinkUnits;
    private final int recentUnits;
    private final long[][] member;   // persistent set per layer, as bits (a few KiB: stays in cache)
    private final int[] size;
    private final long[][] fixed;    // the stable part per layer (never replaced), as bits
    private final int[] fixedSize;
    private final boolean[] started;
    private final long[] rng;        // SplitMix64 state per layer
    private final long[] blocked;    // ids dropped this step: kept out of this step's draws
    private final int[] removed;     // the same ids as a list, to clear `blocked` cheaply
    private int removedCount;
    private long step;
    private boolean closed;

    /** A generator for {@code cfg}, positioned before the first step. */
    public TraceGenerator(GeneratorConfig cfg) {
        this.cfg = cfg;
        this.header = cfg.header();
        int max = header.maxUnits();
        int layers = header.layers();
        this.sinkUnits = Math.ceilDiv(cfg.sinkTokens(), cfg.unitTokens());
        this.recentUnits = Math.ceilDiv(cfg.recentTokens(), cfg.unitTokens());
        this.member = new long[layers][Bits.words(max) + 1];
        this.size = new int[layers];
        this.fixed = new long[layers][Bits.words(max) + 1];
        this.fixedSize = new int[layers];
        this.started = new boolean[layers];
        this.rng = new long[layers];
        this.removed = new int[max];
        this.blocked = new long[Bits.words(max) + 1];
        for (int l = 0; l < layers; l++) {
            rng[l] = cfg.seed() * 0x9E3779B97F4A7C15L + (l + 1) * 0xBF58476D1CE4E5B9L;
        }
    }

    /** A source that opens a fresh generator for {@code cfg} each time. */
    public static TraceSource source(GeneratorConfig cfg) {
        return () -> new TraceGenerator(cfg);
    }

    @Override
    public TraceHeader header() {
        return header;
    }

    @Override
    public boolean next(TraceStep into) {
        if (closed) {
            throw new IllegalStateException("generator is closed");
        }
        if (step >= header.steps()) {
            return false;
        }
        int n = header.promptTokens() + (int) (step / header.layers());
        int l = (int) (step % header.layers());
        step++;
        int units = header.unitsBefore(n);
        int sinks = Math.min(sinkUnits, units);
        int recent = Math.min(recentUnits, units - sinks);
        int lo = sinks;
        int hi = units - recent;          // middle region [lo, hi)
        int mid = hi - lo;
        int k = (int) Math.round((1 - cfg.sparsity()) * units);
        int target = Math.max(0, Math.min(mid, k - sinks - recent));

        if (!started[l]) {
            started[l] = true;
            if (cfg.stable() > 0) {   // the stable heads' share, drawn once
                int want = (int) Math.round(cfg.stable() * target);
                while (fixedSize[l] < want) {
                    int c = draw(l, lo, hi, mid);
                    if (c < 0) {
                        break;
                    }
                    Bits.set(fixed[l], c);
                    fixedSize[l]++;
                }
            }
        }
        target = Math.max(0, target - fixedSize[l]);
        double variation = l < cfg.earlyLayers() ? cfg.earlyVariation() : cfg.variation();
        int remove = stochasticRound(variation * size[l], l);
        if (cfg.shift() > 0 && uniform(l) < cfg.shift()) {
            remove = size[l];          // the pattern shifts: the changing part is redrawn
        }
        for (int i = 0; i < remove && size[l] > 0; i++) {
            removeRandom(l, lo, hi);
        }
        while (size[l] > target) {
            removeRandom(l, lo, hi);
        }
        while (size[l] < target) {
            int c = -1;
            // rejection sampling keeps the draw's distribution; after a few misses (a saturated
            // region) fall back to the next free unit after a uniform point of the middle
            for (int tries = 0; tries < 16 && c < 0; tries++) {
                int d;
                if (uniform(l) < cfg.recencyBias()) {
                    int q = Math.max(1, mid / 4);
                    d = hi - 1 - (int) bounded(l, q);
                } else {
                    d = lo + (int) bounded(l, mid);
                }
                if (!Bits.get(member[l], d) && !Bits.get(blocked, d) && !Bits.get(fixed[l], d)) {
                    c = d;
                }
            }
            if (c < 0) {
                int d = lo + (int) bounded(l, mid);
                int f = nextFree(member[l], fixed[l], d, hi);
                c = f >= 0 ? f : nextFree(member[l], fixed[l], lo, d);
                if (c < 0) {          // only just-dropped units are free: let them back in
                    releaseRemoved(l);
                    continue;
                }
            }
            add(l, c);
        }
        releaseRemoved(l);

        into.reset(n, l, units);
        long[] bits = into.readBits();
        int words = Bits.words(units);
        System.arraycopy(member[l], 0, bits, 0, words);
        if (fixedSize[l] > 0) {
            long[] fx = fixed[l];
            for (int w = 0; w < words; w++) {
                bits[w] |= fx[w];
            }
        }
        Bits.setRange(bits, 0, sinks);
        Bits.setRange(bits, hi, units);
        into.recount();
        return true;
    }

    private void add(int l, int id) {
        Bits.set(member[l], id);
        size[l]++;
    }

    // Drops a uniformly drawn member (rejection sampling over the middle; after many misses, the
    // next member after a uniform point). Touches only the layer's small bit set.
    private void removeRandom(int l, int lo, int hi) {
        long[] m = member[l];
        int id = -1;
        for (int tries = 0; tries < 64 && id < 0; tries++) {
            int d = lo + (int) bounded(l, hi - lo);
            if (Bits.get(m, d)) {
                id = d;
            }
        }
        if (id < 0) {
            int c = lo + (int) bounded(l, hi - lo);
            id = Bits.nextSet(m, c, hi);
            if (id < 0) {
                id = Bits.nextSet(m, lo, c);
            }
        }
        Bits.clear(m, id);
        Bits.set(blocked, id);
        size[l]--;
        removed[removedCount++] = id;
    }

    // A free unit of the middle [lo, hi) for the stable part (as the draws of next()), or -1.
    private int draw(int l, int lo, int hi, int mid) {
        if (mid <= 0) {
            return -1;
        }
        for (int tries = 0; tries < 16; tries++) {
            int d = uniform(l) < cfg.recencyBias() ? hi - 1 - (int) bounded(l, Math.max(1, mid / 4))
                    : lo + (int) bounded(l, mid);
            if (!Bits.get(fixed[l], d)) {
                return d;
            }
        }
        int d = lo + (int) bounded(l, mid);
        int f = nextFree(member[l], fixed[l], d, hi);
        return f >= 0 ? f : nextFree(member[l], fixed[l], lo, d);
    }

    // The first id in [from, to) that is neither a member, stable, nor dropped this step, or -1.
    private int nextFree(long[] m, long[] fx, int from, int to) {
        if (from >= to) {
            return -1;
        }
        int wi = from >>> 6;
        long word = ~(m[wi] | fx[wi] | blocked[wi]) & (-1L << from);
        int last = (to - 1) >>> 6;
        while (true) {
            if (word != 0) {
                int i = (wi << 6) + Long.numberOfTrailingZeros(word);
                return i < to ? i : -1;
            }
            if (++wi > last) {
                return -1;
            }
            word = ~(m[wi] | fx[wi] | blocked[wi]);
        }
    }

    private void releaseRemoved(int l) {
        for (int i = 0; i < removedCount; i++) {
            Bits.clear(blocked, removed[i]);
        }
        removedCount = 0;
    }

    private int stochasticRound(double x, int l) {
        int f = (int) x;
        return uniform(l) < x - f ? f + 1 : f;
    }

    private long nextLong(int l) {
        long z = (rng[l] += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private double uniform(int l) {
        return (nextLong(l) >>> 11) * 0x1.0p-53;
    }

    private long bounded(int l, int bound) {
        return ((nextLong(l) >>> 32) * bound) >>> 32;
    }

    @Override
    public void close() {
        closed = true;
    }
}
