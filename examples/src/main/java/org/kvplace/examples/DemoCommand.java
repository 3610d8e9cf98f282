package org.kvplace.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.MemoryBandwidth;
import org.kvplace.core.memory.Tier;
import org.kvplace.core.memory.TierKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvplace demo}: a small tour of the tiered cache. Appends a synthetic sequence (static
 * placement: the fast tier fills first), runs dense and sparse attention, promotes the pages the
 * sparse step reads into the fast tier, and prints what moved and the bytes read per tier.
 */
@Command(name = "demo", description = {
    "Append a synthetic sequence to a tiered cache, attend, migrate, and report the bytes read per tier.",
    "",
    "Appends a synthetic sequence (static placement: the fast tier fills first), runs dense and sparse"
        + " attention, promotes the pages the sparse step reads into the fast tier, and prints what moved"
        + " and the bytes read per tier."})
final class DemoCommand implements Callable<Integer> {

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--tokens", paramLabel = "N", description = "tokens appended per layer, in [16, 1048576]"
            + " (default ${DEFAULT-VALUE})")
    int tokens = 4096;

    @Option(names = "--layers", paramLabel = "L", description = "layers, in [1, 1024] (default ${DEFAULT-VALUE})")
    int layers = 4;

    @Option(names = "--fast-share", paramLabel = "F", description = "fraction of the pages the fast tier holds,"
            + " in [0, 1] (default ${DEFAULT-VALUE})")
    double fastShare = 0.25;

    @Option(names = "--ratio", paramLabel = "R", description = "slow/fast bandwidth ratio of the throttle, in"
            + " (0, 1] (default 450/4900)")
    double ratio = 450.0 / 4900.0;

    @Option(names = "--seed", paramLabel = "S", description = "random seed (default ${DEFAULT-VALUE})")
    long seed = 42;

    DemoCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        int tokens = Main.range("--tokens", this.tokens, 16, 1 << 20);
        int layers = Main.range("--layers", this.layers, 1, 1024);
        double fastShare = Main.range("--fast-share", this.fastShare, 0.0, 1.0);
        double ratio = Main.range("--ratio", this.ratio, 1e-6, 1.0);
        long seed = this.seed;

        int kvHeads = 8;
        int headDim = 64;
        int queryHeads = 32;
        int pageTokens = 16;
        ModelShape shape = new ModelShape(layers, kvHeads, headDim, tokens);
        int pagesPerLayer = Math.ceilDiv(tokens, pageTokens);
        int totalPages = pagesPerLayer * layers;
        int fastPages = (int) Math.round(totalPages * fastShare);
        int slowPages = totalPages - fastPages + layers;
        long pageBytes = new PageLayout(pageTokens, kvHeads, headDim, ElementType.F32).pageBytes();
        TierMemory.check("--tokens " + tokens + " --layers " + layers + " --fast-share " + fastShare, fastPages,
                slowPages, pageBytes);

        err.println("measuring this machine's copy bandwidth ...");
        double fastBw = MemoryBandwidth.measureCopy(64L << 20, 3);
        double slowBw = fastBw * ratio;

        TieredKvCache built;
        try {
            built = TieredKvCache.builder()
                    .shape(shape)
                    .pageTokens(pageTokens)
                    .fastTierPages(fastPages)
                    .slowTierPages(slowPages)
                    .slowTierBandwidth(slowBw)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new UsageException("--tokens " + tokens + " --layers " + layers + ": " + e.getMessage());
        }
        try (TieredKvCache cache = built; Sequence seq = cache.newSequence()) {
            out.printf("cache      %s%n", cache);
            out.printf("bandwidth  fast (measured copy) %.2f GB/s, slow throttled to %.3f GB/s (ratio %.4f)%n",
                    fastBw / 1e9, slowBw / 1e9, ratio);

            SplittableRandom rnd = new SplittableRandom(seed);
            float[] q = new float[queryHeads * headDim];
            for (int i = 0; i < q.length; i++) {
                q[i] = (float) rnd.nextGaussian();
            }
            // A few "important" pages hold keys aligned with the query, so sparse attention has
            // something to find; the rest is noise.
            int[] hot = pickHotPages(rnd, pagesPerLayer, Math.max(1, pagesPerLayer / 16));
            float[] k = new float[kvHeads * headDim];
            float[] v = new float[kvHeads * headDim];
            long t0 = System.nanoTime();
            for (int t = 0; t < tokens; t++) {
                boolean important = Arrays.binarySearch(hot, t / pageTokens) >= 0;
                for (int i = 0; i < k.length; i++) {
                    int group = queryHeads / kvHeads;
                    float aligned = q[(i / headDim) * group * headDim + i % headDim];
                    k[i] = (float) (important ? 0.5 * aligned + 0.1 * rnd.nextGaussian() : 0.3 * rnd.nextGaussian());
                    v[i] = (float) rnd.nextGaussian();
                }
                for (int l = 0; l < layers; l++) {
                    seq.append(l, k, v);
                }
            }
            out.printf("append     %d tokens x %d layers in %.1f ms: %d pages in fast, %d in slow%n", tokens, layers,
                    (System.nanoTime() - t0) / 1e6, cache.capacityPages(TierKind.FAST) - cache.freePages(TierKind.FAST),
                    countIn(cache, seq, TierKind.SLOW));

            float[] o = new float[q.length];
            Step dense = step(cache, () -> {
                for (int l = 0; l < shape.layers(); l++) {
                    seq.attend(l, q, o);
                }
            });
            out.printf("dense      %s%n", dense);

            int[] selected = selection(hot, pagesPerLayer);
            Step sparse = step(cache, () -> {
                for (int l = 0; l < shape.layers(); l++) {
                    seq.attend(l, q, o, selected, selected.length);
                }
            });
            out.printf("sparse     %d of %d pages per layer: %s%n", selected.length, pagesPerLayer, sparse);

            // Promote the selected pages to the fast tier, demoting unselected fast pages to make room.
            int promoted = 0;
            int demoted = 0;
            long migrateStart = System.nanoTime();
            for (int l = 0; l < layers; l++) {
                int victim = pagesPerLayer - 1;
                for (int p : selected) {
                    long handle = seq.pageHandle(l, p);
                    if (cache.tierOf(handle) == TierKind.FAST) {
                        continue;
                    }
                    while (!cache.tryMigrate(handle, TierKind.FAST)) {
                        victim = nextVictim(cache, seq, l, victim, selected);
                        if (victim < 0) {
                            break;
                        }
                        cache.migrate(seq.pageHandle(l, victim), TierKind.SLOW);
                        demoted++;
                    }
                    if (cache.tierOf(handle) == TierKind.FAST) {
                        promoted++;
                    }
                }
            }
            out.printf("migrate    %d pages promoted to fast, %d demoted to slow, %.1f MiB copied in %.1f ms%n", promoted,
                    demoted, cache.bytesMigrated() / (1024.0 * 1024.0), (System.nanoTime() - migrateStart) / 1e6);

            Step after = step(cache, () -> {
                for (int l = 0; l < shape.layers(); l++) {
                    seq.attend(l, q, o, selected, selected.length);
                }
            });
            out.printf("sparse     after migration: %s%n", after);
            out.printf("kernel     %s%n", cache.kernel());
        }
        return 0;
    }

    private static int[] pickHotPages(SplittableRandom rnd, int pages, int count) {
        return rnd.ints(0, pages).distinct().limit(Math.min(count, pages)).sorted().toArray();
    }

    /** Sink page, the hot pages, and the newest page, sorted and distinct. */
    private static int[] selection(int[] hot, int pages) {
        int[] s = new int[hot.length + 2];
        s[0] = 0;
        System.arraycopy(hot, 0, s, 1, hot.length);
        s[s.length - 1] = pages - 1;
        return Arrays.stream(s).distinct().sorted().toArray();
    }

    private static int nextVictim(TieredKvCache cache, Sequence seq, int layer, int from, int[] selected) {
        for (int p = from; p >= 0; p--) {
            if (Arrays.binarySearch(selected, p) < 0 && cache.tierOf(seq.pageHandle(layer, p)) == TierKind.FAST) {
                return p;
            }
        }
        return -1;
    }

    private static int countIn(TieredKvCache cache, Sequence seq, TierKind kind) {
        int n = 0;
        for (int l = 0; l < cache.shape().layers(); l++) {
            for (int p = 0; p < seq.pageCount(l); p++) {
                if (cache.tierOf(seq.pageHandle(l, p)) == kind) {
                    n++;
                }
            }
        }
        return n;
    }

    private record Step(double millis, long fastBytes, long slowBytes) {
        @Override
        public String toString() {
            double total = fastBytes + slowBytes;
            return String.format("%.2f ms (warm, fastest of %d), read %.2f MiB from fast and %.2f MiB from slow"
                    + " (%.1f%% fast)", millis, TIMED_RUNS, fastBytes / 1048576.0, slowBytes / 1048576.0, total == 0 ? 0 : 100 * fastBytes / total);
        }
    }

    /** Untimed runs before a step is timed: the first call of a kernel loads and compiles it. */
    static final int WARMUP_RUNS = 3;
    /** Timed runs of a step; the fastest is reported. */
    static final int TIMED_RUNS = 3;

    /**
     * Times {@code body} warm, as the README's figures are; the bytes are those of one run (every
     * run reads the same).
     */
    private static Step step(TieredKvCache cache, Runnable body) {
        Tier fast = cache.tier(TierKind.FAST);
        Tier slow = cache.tier(TierKind.SLOW);
        long f0 = fast.bytesRead();
        long s0 = slow.bytesRead();
        double millis = timeWarm(body);
        int runs = WARMUP_RUNS + TIMED_RUNS;
        return new Step(millis, (fast.bytesRead() - f0) / runs, (slow.bytesRead() - s0) / runs);
    }

    /**
     * Milliseconds of {@code body} warm: {@link #WARMUP_RUNS} untimed runs (the first call of a
     * kernel loads and compiles it), then the fastest of {@link #TIMED_RUNS}.
     */
    static double timeWarm(Runnable body) {
        for (int i = 0; i < WARMUP_RUNS; i++) {
            body.run();
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < TIMED_RUNS; i++) {
            long t0 = System.nanoTime();
            body.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 1e6;
    }
}
