package org.kvplace.examples;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Checks, before a cache is built, that the tiers the options ask for fit this machine's memory: a
 * tier is one slab of native memory, zeroed when allocated, so a size beyond the memory ends in an
 * {@link OutOfMemoryError} or a process killed by the system, not in a clear message.
 */
final class TierMemory {

    /** Slots of a tier's slab are aligned to this many bytes (as the library lays them out). */
    static final long SLOT_ALIGNMENT = 4096;

    private TierMemory() {}

    /** Bytes a slab of {@code pages} pages of {@code pageBytes} takes, or {@link Long#MAX_VALUE} if that overflows. */
    static long slabBytes(long pages, long pageBytes) {
        long stride = Math.ceilDiv(pageBytes, SLOT_ALIGNMENT) * SLOT_ALIGNMENT;
        return Math.multiplyHigh(pages, stride) != 0 || pages * stride < 0 ? Long.MAX_VALUE : pages * stride;
    }

    /**
     * Throws a usage error naming {@code options} when the two slabs together exceed this machine's
     * physical memory (or the container's limit).
     */
    static void check(String options, long fastPages, long slowPages, long pageBytes) {
        check(options, fastPages, slowPages, pageBytes, physicalMemory());
    }

    static void check(String options, long fastPages, long slowPages, long pageBytes, long memory) {
        long fast = slabBytes(fastPages, pageBytes);
        long slow = slabBytes(slowPages, pageBytes);
        long total = fast > Long.MAX_VALUE - slow ? Long.MAX_VALUE : fast + slow;
        if (total > memory) {
            throw new UsageException(options + " ask for " + fastPages + " fast + " + slowPages + " slow pages of "
                    + pageBytes + " bytes = " + bytes(total) + " of tier memory; this machine has " + bytes(memory)
                    + " in all");
        }
    }

    /** Physical memory of this machine (the container's limit where one is set), bytes. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long m = os.getTotalMemorySize();
            if (m > 0) {
                return m;
            }
        }
        return Runtime.getRuntime().maxMemory();
    }

    static String bytes(long b) {
        if (b == Long.MAX_VALUE) {
            return "more than 8 EiB";
        }
        if (b < 1L << 20) {
            return b + " bytes";
        }
        if (b < 1L << 30) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        if (b < 1L << 40) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f TiB", b / (double) (1L << 40));
    }
}
