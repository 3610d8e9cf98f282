package org.kvplace.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Measures this machine's memory bandwidth, to set the slow tier's throttle as a ratio of it. */
public final class MemoryBandwidth {

    private MemoryBandwidth() {}

    /**
     * Measures {@link MemorySegment#copy(MemorySegment, long, MemorySegment, long, long)} between two
     * off-heap buffers and returns the best observed rate in bytes copied per second (each byte
     * copied is read once and written once).
     *
     * @param bytes buffer size in bytes; use well over the last-level cache (64 MiB or more) to
     *     measure DRAM rather than cache
     * @param repetitions number of timed copies, at least 1
     * @return bytes per second of the fastest repetition
     */
    public static double measureCopy(long bytes, int repetitions) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes must be positive, got " + bytes);
        }
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be >= 1, got " + repetitions);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(bytes, 64);
            MemorySegment dst = arena.allocate(bytes, 64);
            src.fill((byte) 1);
            MemorySegment.copy(src, 0, dst, 0, bytes); // warm up and touch every page
            long best = Long.MAX_VALUE;
            for (int i = 0; i < repetitions; i++) {
                long t0 = System.nanoTime();
                MemorySegment.copy(src, 0, dst, 0, bytes);
                best = Math.min(best, System.nanoTime() - t0);
            }
            return bytes * 1e9 / Math.max(1, best);
        }
    }
}
