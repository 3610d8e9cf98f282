package org.kvplace.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.memory.TierSlab;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.memory.TierSpec;
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
 * Data movement of the tiers: page append, page migration and throttled slow-tier reads, each
 * beside {@link MemorySegment#copy} of the same bytes measured in the same run.
 *
 * <p>Every benchmark method moves exactly 1 MiB per invocation, so the score in ops/s is MiB/s
 * (multiply by 1.048576e-3 for GB/s). Pages have the shape of one Llama-3.1-8B layer (8 KV heads of
 * 128 f32 elements, 16 tokens: 128 KiB). Working sets are 512 MiB to 1 GiB, well past the last-level
 * cache, so these are DRAM rates.
 *
 * <p>Run: {@code java -jar kvplace-bench/target/benchmarks.jar TierBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// Equal -Xms/-Xmx and pre-touch keep heap growth out of the measurement; the data is off-heap.
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"})
public class TierBenchmark {

    static final int KV_HEADS = 8;
    static final int HEAD_DIM = 128;
    static final int PAGE_TOKENS = 16;
    static final long PAGE_BYTES = 2L * KV_HEADS * HEAD_DIM * Float.BYTES * PAGE_TOKENS; // 128 KiB
    static final long MIB = 1L << 20;
    static final int PAGES_PER_MIB = (int) (MIB / PAGE_BYTES); // 8
    static final int TOKENS_PER_MIB = PAGES_PER_MIB * PAGE_TOKENS; // 128

    /** A 1 GiB fast tier receiving appends; the sequence restarts when full. */
    @State(Scope.Thread)
    public static class AppendState {
        TieredKvCache cache;
        Sequence seq;
        float[] k;
        float[] v;
        int maxTokens;

        @Setup(Level.Trial)
        public void setup() {
            int pages = (int) ((1L << 30) / PAGE_BYTES);
            maxTokens = pages * PAGE_TOKENS;
            cache = TieredKvCache.builder().shape(new ModelShape(1, KV_HEADS, HEAD_DIM, maxTokens))
                    .pageTokens(PAGE_TOKENS).fastTierPages(pages).slowTierPages(1).build();
            seq = cache.newSequence();
            SplittableRandom rnd = new SplittableRandom(1);
            k = new float[KV_HEADS * HEAD_DIM];
            v = new float[KV_HEADS * HEAD_DIM];
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) rnd.nextGaussian();
                v[i] = (float) rnd.nextGaussian();
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            cache.close();
        }
    }

    /** 4,096 pages (512 MiB) that migrate fast -> slow, then slow -> fast, 8 at a time. */
    @State(Scope.Thread)
    public static class MigrateState {
        TieredKvCache cache;
        long[] handles;
        int next;
        TierKind direction = TierKind.SLOW;

        @Setup(Level.Trial)
        public void setup() {
            int pages = 4096;
            cache = TieredKvCache.builder().shape(new ModelShape(1, KV_HEADS, HEAD_DIM, pages * PAGE_TOKENS))
                    .pageTokens(PAGE_TOKENS).fastTierPages(pages).slowTierPages(pages).build();
            Sequence seq = cache.newSequence();
            float[] k = new float[KV_HEADS * HEAD_DIM];
            for (int t = 0; t < pages * PAGE_TOKENS; t++) {
                seq.append(0, k, k);
            }
            handles = new long[pages];
            for (int p = 0; p < pages; p++) {
                handles[p] = seq.pageHandle(0, p);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            cache.close();
        }
    }

    /** Raw segments for the copy baseline: 1 MiB chunks cycling through 512 MiB. */
    @State(Scope.Thread)
    public static class CopyState {
        Arena arena;
        MemorySegment src;
        MemorySegment dst;
        float[] heap;
        long offset;
        final long size = 512 * MIB;

        @Setup(Level.Trial)
        public void setup() {
            arena = Arena.ofShared();
            src = arena.allocate(size, 64);
            dst = arena.allocate(size, 64);
            src.fill((byte) 1);
            dst.fill((byte) 2);
            heap = new float[(int) (MIB / Float.BYTES)];
        }

        long nextOffset() {
            long o = offset;
            offset = (o + MIB) % size;
            return o;
        }

        @TearDown(Level.Trial)
        public void close() {
            arena.close();
        }
    }

    /** A throttled slow tier of 512 MiB read page by page into a scratch buffer. */
    @State(Scope.Thread)
    public static class ThrottledState {
        /** Configured slow-tier bandwidth in GB/s (1e9 bytes per second). */
        @Param({"1.0", "2.0"})
        public double slowGBps;

        TierSlab throttled;
        TierSlab unthrottled;
        Arena arena;
        MemorySegment scratch;
        int nextSlot;

        @Setup(Level.Trial)
        public void setup() {
            int slots = (int) (512 * MIB / PAGE_BYTES);
            throttled = new TierSlab(new TierSpec(TierKind.SLOW, PAGE_BYTES, slots, slowGBps * 1e9));
            unthrottled = new TierSlab(TierSpec.unthrottled(TierKind.SLOW, PAGE_BYTES, slots));
            throttled.slab().fill((byte) 3);
            unthrottled.slab().fill((byte) 3);
            arena = Arena.ofShared();
            scratch = arena.allocate(PAGE_BYTES, 64);
            System.out.printf("%nconfigured slow-tier bandwidth: %.1f GB/s = %.0f MiB/s%n", slowGBps,
                    slowGBps * 1e9 / MIB);
        }

        int nextSlot() {
            int s = nextSlot;
            nextSlot = (s + 1) % throttled.capacitySlots();
            return s;
        }

        @TearDown(Level.Trial)
        public void close() {
            throttled.close();
            unthrottled.close();
            arena.close();
        }
    }

    /** Appends 128 tokens (1 MiB of K and V) through {@link Sequence#append}. */
    @Benchmark
    public int append(AppendState s) {
        if (s.seq.tokens(0) + TOKENS_PER_MIB > s.maxTokens) {
            s.seq.close();
            s.seq = s.cache.newSequence();
        }
        for (int t = 0; t < TOKENS_PER_MIB; t++) {
            s.seq.append(0, s.k, s.v);
        }
        return s.seq.tokens(0);
    }

    /** The same 1 MiB written from a heap array into off-heap memory with one bulk copy. */
    @Benchmark
    public long appendBaselineCopy(CopyState s) {
        long o = s.nextOffset();
        MemorySegment.copy(s.heap, 0, s.dst, ValueLayout.JAVA_FLOAT, o, s.heap.length);
        return o;
    }

    /** Migrates 8 pages (1 MiB) between the tiers through {@link TieredKvCache#tryMigrate}. */
    @Benchmark
    public int migrate(MigrateState s) {
        int moved = 0;
        for (int i = 0; i < PAGES_PER_MIB; i++) {
            if (s.next == s.handles.length) {
                s.next = 0;
                s.direction = s.direction.other();
            }
            if (s.cache.tryMigrate(s.handles[s.next++], s.direction)) {
                moved++;
            }
        }
        if (moved != PAGES_PER_MIB) {
            throw new IllegalStateException("moved " + moved + " pages, expected " + PAGES_PER_MIB);
        }
        return moved;
    }

    /** {@link MemorySegment#copy} of 1 MiB between two off-heap buffers: what migration does at best. */
    @Benchmark
    public long copyBaseline(CopyState s) {
        long o = s.nextOffset();
        MemorySegment.copy(s.src, o, s.dst, o, MIB);
        return o;
    }

    /** Reads 8 pages (1 MiB) of a throttled slow tier; the score should match {@code slowGBps}. */
    @Benchmark
    public long throttledRead(ThrottledState s) {
        long sum = 0;
        for (int i = 0; i < PAGES_PER_MIB; i++) {
            int slot = s.nextSlot();
            s.throttled.chargeRead(PAGE_BYTES);
            MemorySegment.copy(s.throttled.slab(), s.throttled.slotOffset(slot), s.scratch, 0, PAGE_BYTES);
            sum += s.scratch.get(ValueLayout.JAVA_BYTE, slot & 1023);
        }
        return sum;
    }

    /** The same reads from an unthrottled tier: the machine's own rate for this access pattern. */
    @Benchmark
    public long unthrottledRead(ThrottledState s) {
        long sum = 0;
        for (int i = 0; i < PAGES_PER_MIB; i++) {
            int slot = s.nextSlot();
            s.unthrottled.chargeRead(PAGE_BYTES);
            MemorySegment.copy(s.unthrottled.slab(), s.unthrottled.slotOffset(slot), s.scratch, 0, PAGE_BYTES);
            sum += s.scratch.get(ValueLayout.JAVA_BYTE, slot & 1023);
        }
        return sum;
    }
}
