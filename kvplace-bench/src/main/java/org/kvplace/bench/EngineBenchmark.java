package org.kvplace.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;
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
 * What the placement engine costs per step on top of the attention it wraps: one layer of
 * {@code tokens} tokens (8 KV heads of 128, 32 query heads), sparse attention within 2,048 tokens,
 * every page in the fast tier. {@code attention} is the cache's two-lane step alone
 * ({@code Sequence.attend} with a {@code SparseAttention}); {@code engine} is the same step through
 * {@code KvSequence.attend} and {@code endStep}: the reads handed to the policy, its plan applied and
 * queued, the step recorded. Their ratio is the engine's overhead. Because a 2-core machine's noise
 * is larger than the overhead, the engine also measures its own work in the same run
 * ({@code EngineStats.engineNanos} against {@code attentionNanos}); the trial's end prints that share.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--add-modules=jdk.incubator.vector"})
public class EngineBenchmark {

    @Param({"32768"})
    public int tokens;

    @Param({"reactive"})
    public String policy;

    private TieredKvCache cache;
    private Sequence seq;
    private SparseAttention attention;
    private KvPlace kv;
    private KvSequence engineSeq;
    private float[] q;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        ModelShape shape = new ModelShape(1, 8, 128, tokens);
        int pages = Math.ceilDiv(tokens, 16) + 1;
        cache = TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(pages).slowTierPages(1).build();
        seq = cache.newSequence();
        attention = SparseAttention.builder(cache.kernel(), 32, 128, cache.pagesPerLayer())
                .budgetTokens(2048).parallelLanes(true).oversample(SparseAttention.DEFAULT_OVERSAMPLE).build(); // as KvPlace builds it
        kv = KvPlace.builder()
                .cache(TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(pages + 1).slowTierPages(1))
                .queryHeads(32).budgetTokens(2048).policy(policy).build();
        engineSeq = kv.newSequence();
        SplittableRandom rnd = new SplittableRandom(7);
        float[] k = new float[shape.kvWidth()];
        float[] v = new float[shape.kvWidth()];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) rnd.nextGaussian();
                v[i] = (float) rnd.nextGaussian();
            }
            seq.append(0, k, v);
            engineSeq.append(0, k, v);
        }
        q = new float[32 * 128];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        out = new float[q.length];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        var st = engineSeq.stats();
        if (st.attentionNanos() > 0) { // the 'engine' benchmark's trial, not the 'attention' one's
            System.err.printf(java.util.Locale.ROOT, "%nengine share (%s): %.3f%% of the attention time over %d steps"
                    + " (engine %.1f us, attention %.1f us per step)%n", policy, 100 * st.engineShare(), st.steps(),
                    st.engineNanos() / 1e3 / Math.max(1, st.steps()), st.attentionNanos() / 1e3 / Math.max(1, st.steps()));
        }
        attention.close();
        cache.close();
        kv.close();
    }

    @Benchmark
    public float[] attention() {
        seq.attend(0, q, out, attention);
        return out;
    }

    @Benchmark
    public float[] engine() {
        engineSeq.attend(0, q, out);
        engineSeq.endStep();
        return out;
    }
}
