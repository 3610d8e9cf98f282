package org.kvplace.core.engine;

import java.io.IOException;
import java.util.Objects;
import java.util.SplittableRandom;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

/**
 * Runs a trace's reads through the real cache, the kernels and the placement engine: the prompt's
 * KV is appended (synthetic keys and values; a new page goes where the policy says), then every
 * decode position appends one token per layer and attends over exactly the pages the trace's step
 * read (its units coarsened to the cache's pages), in two lanes, and ends the step. What it
 * measures sits beside what the engine's calibrated cost model says for the same steps, and beside
 * the balanced bound of the same reads. The measured time is the time spent in the engine's calls
 * ({@code append}, {@code attendPages}, {@code endStep}) during the decode phase, what a model's
 * decode loop would spend on its KV cache; the replay's own work between the calls (reading the
 * trace, making up keys, values and queries) is left out.
 *
 * <p>The engine must have one free sequence slot, and a shape whose layers are at least the
 * trace's and whose {@code maxTokens} covers prompt and decode. Not thread-safe; allocates its
 * buffers once per run.
 */
public final class LiveReplay {

    private LiveReplay() {}

    /**
     * What one replay measured and modelled.
     *
     * @param policy the policy's name
     * @param decodeTokens decode positions replayed
     * @param measuredNanos time spent in the engine's calls during the decode phase
     * @param stats the engine's totals of the decode phase (prefill excluded)
     * @param balancedNanos the balanced bound of the same reads: per layer-step, the read bytes over
     *     the sum of the two tiers' rates (no capacity limit, no migration); 0 without a calibrated
     *     fast rate
     */
    public record Result(String policy, int decodeTokens, long measuredNanos, EngineStats stats, long balancedNanos) {

        /** Decoded tokens per second, measured. */
        public double measuredTokensPerSecond() {
            return decodeTokens * 1e9 / measuredNanos;
        }

        /** Decoded tokens per second under the engine's cost model, or NaN without one. */
        public double modelledTokensPerSecond() {
            return stats.modelledNanos() == 0 ? Double.NaN : decodeTokens * 1e9 / stats.modelledNanos();
        }

        /** Decoded tokens per second of the balanced bound, or NaN without a calibrated model. */
        public double balancedTokensPerSecond() {
            return balancedNanos == 0 ? Double.NaN : decodeTokens * 1e9 / balancedNanos;
        }
    }

    /**
     * Replays {@code trace} on a new sequence of {@code engine}, then closes the sequence.
     *
     * @param fastBytesPerSecond the calibrated fast rate for the balanced bound (0 for none)
     * @throws IllegalArgumentException if the trace does not fit the engine's cache
     * @throws IOException if the trace cannot be read
     */
    public static Result run(KvPlace engine, AccessTrace trace, double fastBytesPerSecond) throws IOException {
        Objects.requireNonNull(engine, "engine");
        TraceHeader h = trace.header();
        ModelShape shape = engine.cache().shape();
        int pageTokens = engine.cache().layout().pageTokens();
        int end = h.promptTokens() + h.decodeTokens();
        if (h.layers() > shape.layers() || end > shape.maxTokens()) {
            throw new IllegalArgumentException("trace of " + h.layers() + " layers and " + end + " tokens does not"
                    + " fit the cache's " + shape.layers() + " layers of " + shape.maxTokens() + " tokens");
        }
        int layers = h.layers();
        float[] k = new float[shape.kvWidth()];
        float[] v = new float[shape.kvWidth()];
        int queryHeads = engine.queryHeads();
        float[] q = new float[queryHeads * shape.headDim()];
        float[] out = new float[q.length];
        int maxPages = engine.cache().pagesPerLayer();
        long[] pageBits = new long[Bits.words(maxPages) + 1];
        int[] pages = new int[maxPages];
        SplittableRandom rnd = new SplittableRandom(1);
        double slowRate = engine.cache().tier(TierKind.SLOW).spec().bytesPerSecond();
        double bothRate = fastBytesPerSecond > 0 && Double.isFinite(slowRate) ? fastBytesPerSecond + slowRate : 0;
        long pageBytes = engine.cache().layout().pageBytes();
        try (KvSequence seq = engine.newSequence()) {
            for (int t = 0; t < h.promptTokens(); t++) {
                for (int l = 0; l < layers; l++) {
                    fill(rnd, k);
                    fill(rnd, v);
                    seq.append(l, k, v);
                }
            }
            seq.endStep(); // the prefill is a step of its own, left out of the decode phase's totals
            EngineStats before = seq.stats();
            TraceStep step = TraceStep.forHeader(h);
            double balanced = 0;
            long inEngine = 0;
            int position = -1;
            while (trace.next(step)) {
                int n = step.position();
                int l = step.layer();
                if (n != position) {
                    if (position >= 0) {
                        long c = System.nanoTime();
                        seq.endStep();
                        inEngine += System.nanoTime() - c;
                    }
                    position = n;
                }
                if (l >= layers) {
                    continue;
                }
                fill(rnd, k);
                fill(rnd, v);
                long c = System.nanoTime();
                seq.append(l, k, v);
                inEngine += System.nanoTime() - c;
                int count = pagesOf(step, h.unitTokens(), pageTokens, seq.sequence().pageCount(l), pageBits, pages);
                if (count == 0) {
                    continue;
                }
                fill(rnd, q);
                c = System.nanoTime();
                seq.attendPages(l, q, out, pages, count);
                inEngine += System.nanoTime() - c;
                if (bothRate > 0) {
                    balanced += count * pageBytes / bothRate;
                }
            }
            if (position >= 0) {
                long c = System.nanoTime();
                seq.endStep();
                inEngine += System.nanoTime() - c;
            }
            EngineStats after = seq.stats();
            return new Result(seq.policyName(), h.decodeTokens(), inEngine, after.minus(before),
                    (long) (balanced * 1e9));
        }
    }

    /** The pages holding the step's units, in order; returns how many. */
    private static int pagesOf(TraceStep step, int unitTokens, int pageTokens, int pageCount, long[] bits,
            int[] pages) {
        java.util.Arrays.fill(bits, 0L);
        long[] units = step.readBits();
        int words = Bits.words(step.unitCount());
        for (int w = 0; w < words; w++) {
            long x = units[w];
            while (x != 0) {
                int u = (w << 6) + Long.numberOfTrailingZeros(x);
                x &= x - 1;
                int first = (int) ((long) u * unitTokens / pageTokens);
                int last = (int) (((long) u * unitTokens + unitTokens - 1) / pageTokens);
                for (int p = first; p <= last && p < pageCount; p++) {
                    Bits.set(bits, p);
                }
            }
        }
        int c = 0;
        for (int w = 0; w < Bits.words(pageCount); w++) {
            long x = bits[w];
            while (x != 0) {
                pages[c++] = (w << 6) + Long.numberOfTrailingZeros(x);
                x &= x - 1;
            }
        }
        return c;
    }

    private static void fill(SplittableRandom rnd, float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
    }
}
