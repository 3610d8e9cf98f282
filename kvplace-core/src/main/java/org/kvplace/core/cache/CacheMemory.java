package org.kvplace.core.cache;

import java.lang.management.ManagementFactory;
import org.kvplace.core.memory.TierSlab;
import org.kvplace.core.memory.TierSpec;

/**
 * The memory a {@link TieredKvCache} will take, worked out and checked before any of it is
 * allocated, so that a size that cannot fit fails with an {@link IllegalArgumentException} naming
 * the size and what is available rather than with an {@link OutOfMemoryError} (or, worse, with the
 * process killed while the slabs are zeroed).
 *
 * <p>Limits, as measured on JDK 25: a slab comes from {@code Arena.ofShared()}, which is
 * {@code malloc} plus zeroing and is not counted against {@code -XX:MaxDirectMemorySize} (only
 * {@code Arena.ofAuto()} reserves direct memory). A request larger than the operating system will
 * commit fails with {@code OutOfMemoryError("Unable to allocate N bytes")}; one that it commits but
 * that exceeds the free physical memory is zeroed page by page and may get the process killed. So
 * the off-heap part (both slabs and the page metadata) is checked against the machine's physical
 * memory (the container's limit where there is one), the page records against the Java heap's
 * maximum, and the page count against the largest Java array.
 */
final class CacheMemory {

    /** Most pages one cache can hold: page records are Java arrays indexed by page. */
    static final int MAX_PAGES = Integer.MAX_VALUE - 8;

    /** Heap bytes of page records per page: generation, tier, slot, slow copy's slot, tokens, owner, free lists. */
    static final long HEAP_BYTES_PER_PAGE = 4 + 1 + 4 + 4 + 4 + 8 + 4 + 4;

    private CacheMemory() {}

    /** {@code a * b}, or {@link Long#MAX_VALUE} if that overflows (both non-negative). */
    static long times(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    /** {@code a + b}, or {@link Long#MAX_VALUE} if that overflows (both non-negative). */
    static long plus(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    /**
     * Checks the sizes of a cache before anything is allocated.
     *
     * @throws IllegalArgumentException naming the sizes and what is available, if they cannot fit
     */
    static void check(ModelShape shape, int pageTokens, long pageBytes, long fastPages, long slowPages,
            int pagesPerLayer) {
        String tiers = "fast tier of " + fastPages + " pages and slow tier of " + slowPages + " pages of " + pageBytes
                + " bytes";
        long pages = fastPages + slowPages;
        if (pages > MAX_PAGES) {
            throw new IllegalArgumentException(tiers + ": " + pages + " pages in all, more than the " + MAX_PAGES
                    + " one cache can hold");
        }
        long stride = TierSlab.strideFor(pageBytes);
        long fastSlab = times(stride, Math.max(1, fastPages));
        long slowSlab = times(stride, Math.max(1, slowPages));
        long metadata = times(2L * 2 * shape.kvHeads() * shape.headDim() * Float.BYTES, pages);
        long offHeap = plus(plus(fastSlab, slowSlab), metadata);
        long physical = physicalMemory();
        if (offHeap > physical) {
            throw new IllegalArgumentException(tiers + " need " + bytes(offHeap) + " of off-heap memory (slabs "
                    + bytes(fastSlab) + " + " + bytes(slowSlab) + ", key metadata " + bytes(metadata)
                    + "), more than the " + bytes(physical) + " of physical memory available (" + bytes(freeMemory())
                    + " free)");
        }
        long maxHeap = Runtime.getRuntime().maxMemory();
        long records = times(HEAP_BYTES_PER_PAGE, pages);
        if (records > maxHeap) {
            throw new IllegalArgumentException(tiers + " need " + bytes(records) + " of Java heap for page records ("
                    + HEAP_BYTES_PER_PAGE + " bytes per page), more than the maximum heap of " + bytes(maxHeap)
                    + " (-Xmx)");
        }
        long groups = Math.ceilDiv(pagesPerLayer, (long) TieredKvCache.GROUP_PAGES);
        long table = times(shape.layers(), plus(times(pagesPerLayer, Long.BYTES), times(groups, Integer.BYTES)));
        if (table > maxHeap) {
            throw new IllegalArgumentException("maxTokens=" + shape.maxTokens() + " in pages of " + pageTokens
                    + " tokens over " + shape.layers() + " layers: the page table of one sequence needs " + bytes(table)
                    + " of Java heap, more than the maximum heap of " + bytes(maxHeap) + " (-Xmx)");
        }
    }

    /** A byte count with its binary-prefixed size, for messages: {@code 1073741824 bytes (1.0 GiB)}. */
    static String bytes(long n) {
        if (n == Long.MAX_VALUE) {
            return "more than " + Long.MAX_VALUE + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u < 0 ? n + " bytes" : n + " bytes (" + String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]) + ")";
    }

    /** Physical memory of the machine, or the container's limit; {@link Long#MAX_VALUE} if unknown. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long total = os.getTotalMemorySize();
            return total > 0 ? total : Long.MAX_VALUE;
        }
        return Long.MAX_VALUE;
    }

    /** Free physical memory as the operating system reports it, or {@code -1} if unknown. */
    static long freeMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return -1;
    }

    /**
     * Allocates a tier's slab. The sizes were checked against the machine; should the operating system
     * still refuse the memory, that is reported as the size that does not fit.
     */
    static TierSlab slab(TierSpec spec) {
        try {
            return new TierSlab(spec);
        } catch (OutOfMemoryError e) {
            long bytes = times(TierSlab.strideFor(spec.slotBytes()), spec.slots());
            throw new IllegalArgumentException(spec.kind() + " tier of " + spec.slots() + " pages of " + spec.slotBytes()
                    + " bytes: the operating system refused its slab of " + bytes(bytes) + " ("
                    + bytes(freeMemory()) + " of physical memory free): " + e.getMessage(), e);
        }
    }

    /** Whole pages of {@code pageBytes} in a tier of {@code bytes}, checked against {@link #MAX_PAGES}. */
    static int pagesFor(String tier, long bytes, long pageBytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException(tier + " tier size must be set (bytes or pages)");
        }
        long pages = bytes / pageBytes;
        if (pages > MAX_PAGES) {
            throw new IllegalArgumentException(tier + " tier of " + bytes + " bytes holds too many pages of "
                    + pageBytes + " bytes: " + pages + ", more than the " + MAX_PAGES + " one cache can hold");
        }
        return (int) pages;
    }
}
