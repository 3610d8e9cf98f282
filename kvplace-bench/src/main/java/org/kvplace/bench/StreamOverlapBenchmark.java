package org.kvplace.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.kvplace.kernels.internal.panama.PanamaReadBaseline;
import org.kvplace.kernels.internal.panama.PanamaStreamProbe;
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
 * How far one core overlaps arithmetic with a read from memory: the ceiling of the dense decode
 * kernel, measured without the kernel. Dense f32 attention with four query heads per KV head does
 * one vector FMA per head for every vector of K and V it reads, four FMAs per vector, and its own
 * page blocks are 16 KiB (one KV head of a page of 16 tokens). Every method reads the same
 * {@code mib} MiB once per invocation:
 *
 * <ul>
 *   <li>{@code read}: the plain vectorised sum of {@code DecodeAttentionBenchmark.readBaseline};</li>
 *   <li>{@code fma1}, {@code fma4}: one front-to-back pass, one or four FMAs per vector (four is the
 *       kernel's arithmetic, all of it on the pass that reads memory);</li>
 *   <li>{@code blocks1} to {@code blocks4}, {@code blocks6}: that many passes with two FMAs per
 *       vector over each block of {@code blockKib} KiB before the next (the first from memory, the
 *       others from L1),
 *       the shape of a kernel that cannot keep all its operands in registers for one pass; more
 *       passes stand for more work per byte. The block size decides how much of that work hides
 *       under the read: the hardware prefetcher runs only a few KiB ahead.</li>
 * </ul>
 * With {@code mib=1} (in cache) the methods measure arithmetic speed; with {@code mib=512} (DRAM)
 * the ratio to {@code read} shows how much of the arithmetic hides under the read.
 *
 * <p>Run: {@code java -jar kvplace-bench/target/benchmarks.jar StreamOverlapBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m", "--add-modules=jdk.incubator.vector"})
public class StreamOverlapBenchmark {

    /** Off-heap floats read front to back: {@code mib} MiB, page-aligned. */
    @State(Scope.Thread)
    public static class Memory {
        /** MiB read per invocation: 1 stays in L2, 512 comes from DRAM. */
        @Param({"1", "512"})
        public int mib;

        Arena arena;
        MemorySegment data;
        long bytes;

        @Setup(Level.Trial)
        public void setup() {
            bytes = (long) mib << 20;
            arena = Arena.ofShared();
            data = arena.allocate(bytes, 4096);
            for (long i = 0; i < bytes / Float.BYTES; i++) {
                data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 97) * 1.0e-3f);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            arena.close();
        }
    }

    @Benchmark
    public float read(Memory m) {
        return PanamaReadBaseline.sum(m.data, 0, m.bytes);
    }

    @Benchmark
    public float fma1(Memory m) {
        return PanamaStreamProbe.fmaPass(m.data, 0, m.bytes, 1);
    }

    @Benchmark
    public float fma4(Memory m) {
        return PanamaStreamProbe.fmaPass(m.data, 0, m.bytes, 4);
    }

    /** {@link Memory} read in blocks of {@code blockKib} KiB by the {@code blocks} methods. */
    @State(Scope.Thread)
    public static class Blocks extends Memory {
        /** KiB per block: 4 (one page) or 16 (one KV head of a page of 16 tokens, K and V). */
        @Param({"4", "16"})
        public int blockKib;

        float passes(int n) {
            return PanamaStreamProbe.blockPasses(data, 0, bytes, (long) blockKib << 10, n);
        }
    }

    @Benchmark
    public float blocks1(Blocks b) {
        return b.passes(1);
    }

    @Benchmark
    public float blocks2(Blocks b) {
        return b.passes(2);
    }

    @Benchmark
    public float blocks3(Blocks b) {
        return b.passes(3);
    }

    @Benchmark
    public float blocks4(Blocks b) {
        return b.passes(4);
    }

    @Benchmark
    public float blocks6(Blocks b) {
        return b.passes(6);
    }
}
