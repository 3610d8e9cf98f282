package org.kvplace.bench;

import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Pages;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.memory.Tier;
import org.kvplace.core.memory.TierKind;
import org.kvplace.kernels.internal.panama.PanamaReadBaseline;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decode attention of one Llama-3.1-8B layer (32 query heads, 8 KV heads of 128 dims, pages of 16
 * tokens) over a context of {@code contextTokens}, on one thread, KV in the fast tier (ordinary
 * DRAM; 256 MiB to 1 GiB of f32, well past the last-level cache from 32,768 tokens on).
 *
 * <ul>
 *   <li>{@code vector}: the Vector API kernel ({@code kvplace-kernels}) through
 *       {@link Sequence#attend(int, float[], float[], SparseAttention)}: select, read, merge.</li>
 *   <li>{@code scalar}: the same step on the scalar reference kernel.</li>
 *   <li>{@code readBaseline}: a plain vectorised sum over exactly the KV bytes the step reads (all
 *       pages for dense, the selected pages for sparse): the memory-bandwidth limit of the run.</li>
 * </ul>
 * Successive invocations take {@link #QUERIES} fixed random queries in turn, as successive decode
 * steps would, so that a sparse step reads other pages than the step before it.
 * {@code budget} is {@code all} (dense) or a token budget (sparse, Quest selection). Bytes read per
 * step: dense {@code contextTokens * 8 KiB} for f32 and half that for f16; sparse {@code 2048} tokens
 * of KV plus the page metadata scanned for selection ({@code 8 KiB} per page of 16 tokens, f32).
 *
 * <p>The vector methods fork with {@code --add-modules=jdk.incubator.vector} on their own
 * {@code @Fork} and fail if the Vector API kernel is not active; the scalar fork runs without it.
 *
 * <p>Run: {@code java -jar kvplace-bench/target/benchmarks.jar DecodeAttentionBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
// Equal -Xms/-Xmx and pre-touch keep heap growth out of the measurement; KV and metadata are off-heap.
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=4g"})
public class DecodeAttentionBenchmark {

    static final int LAYERS = 1;
    static final int QUERY_HEADS = 32;
    static final int KV_HEADS = 8;
    static final int HEAD_DIM = 128;
    static final int PAGE_TOKENS = 16;
    /**
     * Distinct queries that the steps of a {@link Context} take in turn. A sparse step with one fixed
     * query would read the same pages every time and find them in the last-level cache; successive
     * decode steps have different queries and read different pages.
     */
    static final int QUERIES = 16;

    /** One layer of context in the fast tier and a fixed query. */
    @State(Scope.Thread)
    public static class Context {
        @Param({"8192", "32768", "131072"})
        public int contextTokens;

        @Param({"F32", "F16"})
        public ElementType elementType;

        /** {@code all} for dense attention, else the sparse budget in tokens. */
        @Param({"all", "2048"})
        public String budget;

        /**
         * Page selection of a sparse step: {@code 0} scores every page (flat Quest selection); {@code N > 0}
         * scores page groups first, then the pages of the best groups covering {@code N x budget} tokens
         * (two-level, {@link SparseAttention}). A dense step scores nothing, so run it with one value.
         */
        @Param({"0", "2", "4"})
        public int oversample;

        TieredKvCache cache;
        Sequence seq;
        SparseAttention vector;
        SparseAttention scalar;
        boolean vectorized;
        float[][] queries;
        float[] out;
        long[][] readOffsets; // per query: byte offset in the fast slab of each page its step reads
        long pageReadBytes;
        int next; // the query of the next invocation

        @Setup(Level.Trial)
        public void setup() {
            int pages = contextTokens / PAGE_TOKENS;
            cache = TieredKvCache.builder().shape(new ModelShape(LAYERS, KV_HEADS, HEAD_DIM, contextTokens))
                    .pageTokens(PAGE_TOKENS).elementType(elementType).fastTierPages(pages).slowTierPages(0).build();
            seq = cache.newSequence();
            fill(seq, contextTokens, 1);
            SplittableRandom rnd = new SplittableRandom(2);
            queries = new float[QUERIES][];
            for (int i = 0; i < QUERIES; i++) {
                queries[i] = gaussian(QUERY_HEADS * HEAD_DIM, rnd);
            }
            out = new float[QUERY_HEADS * HEAD_DIM];
            int budgetTokens = budget.equals("all") ? PageSelection.ALL : Integer.parseInt(budget);
            DecodeKernel active = Kernels.lookup();
            vectorized = active.name().equals("panama");
            vector = SparseAttention.builder(active, QUERY_HEADS, HEAD_DIM, cache.pagesPerLayer())
                    .budgetTokens(budgetTokens).parallelLanes(false).oversample(oversample).build();
            scalar = SparseAttention.builder(Kernels.scalar(), QUERY_HEADS, HEAD_DIM, cache.pagesPerLayer())
                    .budgetTokens(budgetTokens).parallelLanes(false).oversample(oversample).build();
            pageReadBytes = cache.layout().pageBytes();
            Tier fast = cache.tier(TierKind.FAST);
            readOffsets = new long[QUERIES][];
            long sameAsFlat = 0;
            long read = 0;
            BitSet distinct = new BitSet(pages);
            try (SparseAttention flat = SparseAttention.builder(active, QUERY_HEADS, HEAD_DIM, cache.pagesPerLayer())
                    .budgetTokens(budgetTokens).parallelLanes(false).build()) {
                for (int qi = 0; qi < QUERIES; qi++) {
                    // The pages a step reads (selection depends only on the query and the keys, fixed here).
                    seq.attend(0, queries[qi], out, vector);
                    readOffsets[qi] = new long[vector.selectedCount()];
                    for (int i = 0; i < readOffsets[qi].length; i++) {
                        int page = vector.selectedPage(i);
                        readOffsets[qi][i] = fast.slotOffset(slotOf(fast, seq.pageHandle(0, page), i, page));
                        distinct.set(page);
                    }
                    read += readOffsets[qi].length;
                    seq.attend(0, queries[qi], out, flat);
                    for (int i = 0, j = 0; i < vector.selectedCount() && j < flat.selectedCount();) {
                        int a = vector.selectedPage(i);
                        int b = flat.selectedPage(j);
                        sameAsFlat += a == b ? 1 : 0;
                        i += a <= b ? 1 : 0;
                        j += b <= a ? 1 : 0;
                    }
                }
            }
            System.out.printf("%n[setup] %s, %d queries in turn: %.1f pages (%.1f MiB of KV) read per step, %d distinct"
                    + " pages over all queries, %d of %d pages scored, %.1f%% of the pages read also chosen by flat"
                    + " selection%n", vector, QUERIES, read / (double) QUERIES,
                    read * pageReadBytes / 1048576.0 / QUERIES, distinct.cardinality(), vector.scoredPages(),
                    seq.pageCount(0), 100.0 * sameAsFlat / read);
        }

        /** The query of this invocation: the queries take turns, as successive decode steps would. */
        float[] nextQuery() {
            return queries[next];
        }

        /** Advances to the next query; called once per invocation after the step. */
        void advance() {
            next = next + 1 == QUERIES ? 0 : next + 1;
        }

        @TearDown(Level.Trial)
        public void close() {
            vector.close();
            scalar.close();
            cache.close();
        }
    }

    /**
     * Pages are appended in order into an empty fast tier, which hands out slots from 0 upwards, so
     * page {@code p} sits in slot {@code p}; checked here against the handle so that a change of
     * allocation order cannot silently make the baseline read other bytes.
     */
    static int slotOf(Tier fast, long handle, int i, int page) {
        if (Pages.index(handle) != page) {
            throw new IllegalStateException("page " + page + " has index " + Pages.index(handle)
                    + "; the baseline assumes pages in allocation order");
        }
        return page;
    }

    static void fill(Sequence seq, int tokens, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] k = new float[KV_HEADS * HEAD_DIM];
        float[] v = new float[k.length];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) rnd.nextGaussian();
                v[i] = (float) rnd.nextGaussian();
            }
            seq.append(0, k, v);
        }
    }

    static float[] gaussian(int n, SplittableRandom rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /**
     * Dense attention over 32,768 tokens (256 MiB of f32 KV) with the newest tenth of the pages in a
     * slow tier throttled to {@link #SLOW_BYTES_PER_SECOND}, so that both lanes take about as long: the fast-tier lane and the throttled
     * slow-tier lane run concurrently ({@code twoLanesParallel}) or one after the other
     * ({@code twoLanesSequential}). The per-lane times of the parallel steps are printed at the end
     * of each iteration, so the step time can be compared with the larger of the two lanes.
     */
    @State(Scope.Thread)
    public static class TwoTiers {
        static final int TOKENS = 32768;

        TieredKvCache cache;
        Sequence seq;
        SparseAttention parallel;
        SparseAttention sequential;
        float[] q;
        float[] out;
        long steps;
        long fastNanos;
        long slowNanos;

        @Setup(Level.Trial)
        public void setup() {
            int pages = TOKENS / PAGE_TOKENS;
            cache = TieredKvCache.builder().shape(new ModelShape(LAYERS, KV_HEADS, HEAD_DIM, TOKENS))
                    .pageTokens(PAGE_TOKENS).fastTierPages(pages - pages / 10).slowTierPages(pages / 10)
                    .slowTierBandwidth(SLOW_BYTES_PER_SECOND).build();
            seq = cache.newSequence();
            fill(seq, TOKENS, 3);
            q = gaussian(QUERY_HEADS * HEAD_DIM, new SplittableRandom(4));
            out = new float[q.length];
            DecodeKernel active = Kernels.lookup();
            if (!active.name().equals("panama")) {
                throw new IllegalStateException("the Vector API kernel is not active in this fork");
            }
            parallel = SparseAttention.builder(active, QUERY_HEADS, HEAD_DIM, pages).parallelLanes(true).build();
            sequential = SparseAttention.builder(active, QUERY_HEADS, HEAD_DIM, pages).parallelLanes(false).build();
        }

        @Setup(Level.Iteration)
        public void resetLaneTimes() {
            steps = 0;
            fastNanos = 0;
            slowNanos = 0;
        }

        @TearDown(Level.Iteration)
        public void printLaneTimes() {
            if (steps > 0) {
                System.out.printf("%n[lanes] %d steps: fast lane %.2f ms, slow lane %.2f ms per step%n", steps,
                        fastNanos / 1e6 / steps, slowNanos / 1e6 / steps);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            parallel.close();
            sequential.close();
            cache.close();
        }
    }

    /**
     * The attention of one stories260K layer (8 query heads sharing 4 KV heads of 8 floats, pages of
     * 16 tokens, f32) over {@code contextTokens} tokens, dense: heads narrower than a 512-bit vector,
     * two query heads per KV head. The context is the model's whole context (512) or a short one.
     */
    @State(Scope.Thread)
    public static class Stories {
        static final int QUERY_HEADS = 8;
        static final int KV_HEADS = 4;
        static final int HEAD_DIM = 8;

        @Param({"16", "128", "512"})
        public int contextTokens;

        TieredKvCache cache;
        Sequence seq;
        float[][] queries;
        float[] out;
        boolean vectorized;
        int next;

        @Setup(Level.Trial)
        public void setup() {
            cache = TieredKvCache.builder().shape(new ModelShape(1, KV_HEADS, HEAD_DIM, contextTokens))
                    .pageTokens(PAGE_TOKENS).fastTierPages(contextTokens / PAGE_TOKENS).slowTierPages(0).build();
            seq = cache.newSequence();
            SplittableRandom rnd = new SplittableRandom(5);
            float[] k = new float[KV_HEADS * HEAD_DIM];
            float[] v = new float[k.length];
            for (int t = 0; t < contextTokens; t++) {
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) rnd.nextGaussian();
                    v[i] = (float) rnd.nextGaussian();
                }
                seq.append(0, k, v);
            }
            queries = new float[QUERIES][];
            for (int i = 0; i < QUERIES; i++) {
                queries[i] = gaussian(QUERY_HEADS * HEAD_DIM, rnd);
            }
            out = new float[QUERY_HEADS * HEAD_DIM];
            vectorized = cache.kernel().name().equals("panama");
        }

        @TearDown(Level.Trial)
        public void close() {
            cache.close();
        }
    }

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "--add-modules=jdk.incubator.vector"})
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float storiesVector(Stories s) {
        if (!s.vectorized) {
            throw new IllegalStateException("the Vector API kernel is not active in this fork");
        }
        s.seq.attend(0, s.queries[s.next], s.out);
        s.next = (s.next + 1) % QUERIES;
        return s.out[0];
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float storiesScalar(Stories s) {
        s.seq.attend(0, s.queries[s.next], s.out);
        s.next = (s.next + 1) % QUERIES;
        return s.out[0];
    }

    /**
     * The slow tier's emulated bandwidth in {@link TwoTiers}: the GH200 ratio 450/4900 of this
     * machine's single-thread DRAM read rate (about 14 GB/s), as {@code DESIGN.md} section 5 sets it.
     */
    static final double SLOW_BYTES_PER_SECOND = 1.3e9;

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=4g",
        "--add-modules=jdk.incubator.vector"})
    public float twoLanesParallel(TwoTiers t) {
        t.seq.attend(0, t.q, t.out, t.parallel);
        t.steps++;
        t.fastNanos += t.parallel.fastLaneNanos();
        t.slowNanos += t.parallel.slowLaneNanos();
        return t.out[0];
    }

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=4g",
        "--add-modules=jdk.incubator.vector"})
    public float twoLanesSequential(TwoTiers t) {
        t.seq.attend(0, t.q, t.out, t.sequential);
        t.steps++;
        t.fastNanos += t.sequential.fastLaneNanos();
        t.slowNanos += t.sequential.slowLaneNanos();
        return t.out[0];
    }

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=4g",
        "--add-modules=jdk.incubator.vector"})
    public float vector(Context c) {
        if (!c.vectorized) {
            throw new IllegalStateException("the Vector API kernel is not active in this fork");
        }
        c.seq.attend(0, c.nextQuery(), c.out, c.vector);
        c.advance();
        return c.out[0];
    }

    @Benchmark
    public float scalar(Context c) {
        c.seq.attend(0, c.nextQuery(), c.out, c.scalar);
        c.advance();
        return c.out[0];
    }

    @Benchmark
    @Fork(jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=4g",
        "--add-modules=jdk.incubator.vector"})
    public float readBaseline(Context c) {
        var slab = c.cache.tier(TierKind.FAST).slab();
        float sum = 0f;
        for (long off : c.readOffsets[c.next]) {
            sum += PanamaReadBaseline.sum(slab, off, c.pageReadBytes);
        }
        c.advance();
        return sum;
    }
}
