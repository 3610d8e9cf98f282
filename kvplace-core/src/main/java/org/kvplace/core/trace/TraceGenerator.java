package org.kvplace.core.trace;

/**
 * A seeded synthetic trace (see {@link GeneratorConfig} for the model of the read sets). Steps
 * are produced on demand: memory is a few arrays of {@link TraceHeader#maxUnits()} per layer,
 * whatever the number of decode tokens. Equal configs give identical traces. Not thread-safe.
 *
 * <p>Each layer draws from its own SplitMix64 stream, whose state only advances by a constant
 * per draw: the draws do not depend on what they decide, so a step computes them ahead in
 * chunks and its removals and additions run as branch-free loops over them (the rejection
 * tests are data, not branches). The trace is the one the draw-by-draw form gives.
 */
public final class TraceGenerator implements AccessTrace {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;   // SplitMix64's increment
    private static final int CHUNK = 1024;                     // draws computed ahead at most

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
    private final long[] excluded;   // ids addRandom may not take: stable, or dropped this step
    private final long[] before;     // the current layer's members before this step's removals
    private final long recencyThreshold;   // a draw u is "recent" when (u >>> 11) < this
    private final long[] ahead = new long[CHUNK];
    private long state;              // the current layer's stream, during next()
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
        this.excluded = new long[Bits.words(max) + 1];
        this.before = new long[Bits.words(max) + 1];
        // uniform() < bias  <=>  (u >>> 11) * 2^-53 < bias  <=>  (u >>> 11) < ceil(bias * 2^53)
        this.recencyThreshold = (long) Math.ceil(cfg.recencyBias() * 0x1p53);
        for (int l = 0; l < layers; l++) {
            rng[l] = cfg.seed() * GOLDEN + (l + 1) * 0xBF58476D1CE4E5B9L;
        }
    }

    /** A source that opens a fresh generator for {@code cfg} each time. */
    public static TraceSource source(GeneratorConfig cfg) {
        return new Source(cfg);
    }

    /** What {@link #source} returns: {@link Traces#inMemory} generates it on several threads. */
    record Source(GeneratorConfig cfg) implements TraceSource {
        @Override
        public AccessTrace open() {
            return new TraceGenerator(cfg);
        }
    }

    /**
     * Passes over the next step without generating it: the layer's state stays where it was, so
     * a generator that skips every step of a layer still generates the other layers' steps as
     * they would be (each layer draws from its own stream). False at the end.
     */
    boolean skip() {
        if (closed) {
            throw new IllegalStateException("generator is closed");
        }
        if (step >= header.steps()) {
            return false;
        }
        step++;
        return true;
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
        long[] m = member[l];
        long[] fx = fixed[l];
        int words = Bits.words(units);
        state = rng[l];

        if (!started[l]) {
            started[l] = true;
            if (cfg.stable() > 0) {   // the stable heads' share, drawn once
                int want = (int) Math.round(cfg.stable() * target);
                while (fixedSize[l] < want) {
                    int c = drawStable(m, fx, lo, hi, mid);
                    if (c < 0) {
                        break;
                    }
                    Bits.set(fx, c);
                    fixedSize[l]++;
                }
            }
        }
        target = Math.max(0, target - fixedSize[l]);
        double variation = l < cfg.earlyLayers() ? cfg.earlyVariation() : cfg.variation();
        int sz = size[l];
        int remove = stochasticRound(variation * sz);
        if (cfg.shift() > 0 && uniform() < cfg.shift()) {
            remove = sz;               // the pattern shifts: the changing part is redrawn
        }
        int first = Math.min(remove, sz);
        int removals = first + Math.max(0, sz - first - target);   // then down to the target
        if (removals > 0) {
            System.arraycopy(m, 0, before, 0, words);
            removeRandom(m, lo, hi, removals);
            sz -= removals;
        }
        if (sz < target) {
            long[] ex = excluded;
            if (removals > 0) {
                for (int w = 0; w < words; w++) {
                    ex[w] = (before[w] & ~m[w]) | fx[w];   // dropped this step, or stable
                }
            } else {
                System.arraycopy(fx, 0, ex, 0, words);
            }
            addRandom(m, lo, hi, target - sz, words, fx);
            sz = target;
        }
        size[l] = sz;
        rng[l] = state;

        into.reset(n, l, units);
        long[] bits = into.readBits();
        System.arraycopy(m, 0, bits, 0, words);
        if (fixedSize[l] > 0) {
            for (int w = 0; w < words; w++) {
                bits[w] |= fx[w];
            }
        }
        Bits.setRange(bits, 0, sinks);
        Bits.setRange(bits, hi, units);
        into.recount();
        return true;
    }

    // Drops `count` uniformly drawn members: each draws over [lo, hi) until it hits a member (64
    // draws at most, then the next member after a uniform point). The dropped ids are kept out of
    // the step's additions (excluded, from the members before and after).
    private void removeRandom(long[] m, int lo, int hi, int count) {
        long[] z = ahead;
        int span = hi - lo;
        long s = state;      // the stream's state before z[0]
        int i = 0;
        int filled = 0;
        int miss = 0;
        while (count > 0) {
            if (i == filled) {
                s += i * GOLDEN;
                i = 0;
                filled = Math.min(CHUNK, Math.max(64, 3 * count));
                fill(s, filled);
            }
            int d = lo + bounded(z[i++], span);
            int wi = d >>> 6;
            long w = m[wi];
            long hit = w & (1L << d);
            m[wi] = w ^ hit;
            int ok = (int) (hit >>> d);              // 1 if d was a member
            count -= ok;
            miss = (miss + 1) & (ok - 1);
            if (miss == 64) {
                state = s + i * GOLDEN;
                int c = lo + bounded(nextLong(), span);
                int id = Bits.nextSet(m, c, hi);
                if (id < 0) {
                    id = Bits.nextSet(m, lo, c);
                }
                Bits.clear(m, id);
                count--;
                miss = 0;
                s = state;
                i = 0;
                filled = 0;
            }
        }
        state = s + i * GOLDEN;
    }

    // Adds `count` members. A try is two draws (whether from the newest quarter of the middle,
    // then the unit) and takes a unit that is neither a member, stable, nor dropped this step;
    // rejection keeps the draw's distribution. After 16 failed tries (a saturated region) one
    // more draw picks the next free unit after a uniform point of the middle; if only dropped
    // units are free, they are let back in.
    private void addRandom(long[] m, int lo, int hi, int count, int words, long[] fx) {
        long[] ex = excluded;
        long[] z = ahead;
        int mid = hi - lo;
        int quarter = Math.max(1, mid / 4);
        int top = hi - 1;
        long threshold = recencyThreshold;
        long s = state;
        int i = 0;
        int filled = 0;
        int miss = 0;
        while (count > 0) {
            if (i + 2 > filled) {
                s += i * GOLDEN;
                i = 0;
                filled = Math.min(CHUNK, Math.max(64, 4 * count + 8));
                fill(s, filled);
            }
            long u = z[i];
            long v = z[i + 1];
            i += 2;
            int recentD = top - bounded(v, quarter);
            int uniformD = lo + bounded(v, mid);
            int sel = (int) (((u >>> 11) - threshold) >> 63);    // -1: from the newest quarter
            int d = uniformD ^ ((uniformD ^ recentD) & sel);
            int wi = d >>> 6;
            long w = m[wi];
            long free = ~(w | ex[wi]) & (1L << d);
            m[wi] = w | free;
            int ok = (int) (free >>> d);             // 1 if d was free (and is now a member)
            count -= ok;
            miss = (miss + 1) & (ok - 1);
            if (miss == 16) {
                state = s + i * GOLDEN;
                int p = lo + bounded(nextLong(), mid);
                int f = nextFree(m, ex, p, hi);
                int c = f >= 0 ? f : nextFree(m, ex, lo, p);
                if (c < 0) {          // only just-dropped units are free: let them back in
                    System.arraycopy(fx, 0, ex, 0, words);
                } else {
                    Bits.set(m, c);
                    count--;
                }
                miss = 0;
                s = state;
                i = 0;
                filled = 0;
            }
        }
        state = s + i * GOLDEN;
    }

    // ahead[0, count) = the stream's next `count` draws after state `s`.
    // Two loops: the states, then SplitMix64's mix over them, which C2 vectorizes (one loop with
    // the states inline is not: 2.6 times slower).
    private void fill(long s, int count) {
        long[] z = ahead;
        long x = s;
        for (int i = 0; i < count; i++) {
            x += GOLDEN;
            z[i] = x;
        }
        for (int i = 0; i < count; i++) {
            z[i] = mix(z[i]);
        }
    }

    // A free unit of the middle [lo, hi) for the stable part (as the draws of addRandom), or -1.
    private int drawStable(long[] m, long[] fx, int lo, int hi, int mid) {
        if (mid <= 0) {
            return -1;
        }
        for (int tries = 0; tries < 16; tries++) {
            int d = (nextLong() >>> 11) < recencyThreshold ? hi - 1 - bounded(nextLong(), Math.max(1, mid / 4))
                    : lo + bounded(nextLong(), mid);
            if (!Bits.get(fx, d)) {
                return d;
            }
        }
        int d = lo + bounded(nextLong(), mid);
        int f = nextFree(m, fx, d, hi);
        return f >= 0 ? f : nextFree(m, fx, lo, d);
    }

    // The first id in [from, to) that is neither a member nor excluded (ex), or -1.
    private static int nextFree(long[] m, long[] ex, int from, int to) {
        if (from >= to) {
            return -1;
        }
        int wi = from >>> 6;
        long word = ~(m[wi] | ex[wi]) & (-1L << from);
        int last = (to - 1) >>> 6;
        while (true) {
            if (word != 0) {
                int i = (wi << 6) + Long.numberOfTrailingZeros(word);
                return i < to ? i : -1;
            }
            if (++wi > last) {
                return -1;
            }
            word = ~(m[wi] | ex[wi]);
        }
    }

    private int stochasticRound(double x) {
        int f = (int) x;
        return uniform() < x - f ? f + 1 : f;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private long nextLong() {
        return mix(state += GOLDEN);
    }

    private double uniform() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    // A draw scaled to [0, bound) (the upper 32 bits times the bound).
    private static int bounded(long draw, int bound) {
        return (int) (((draw >>> 32) * bound) >>> 32);
    }

    @Override
    public void close() {
        closed = true;
    }
}
