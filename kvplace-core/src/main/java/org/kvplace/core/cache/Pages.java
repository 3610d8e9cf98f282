package org.kvplace.core.cache;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Page handles: a {@code long} packing a page index (low 32 bits) and the generation of that index
 * (high 32 bits), so that a handle of a freed page never names the page that reuses its index.
 * Generations come from one counter shared by every cache of the process, so a handle names one
 * page of one cache: another cache rejects it even where it has a live page at the same index.
 */
public final class Pages {

    // Generation of the next page allocated by any cache; 0 is never handed out.
    private static final AtomicInteger GENERATIONS = new AtomicInteger();

    private Pages() {}

    /** A generation no page allocation has used before (until the 32-bit counter wraps). */
    static int nextGeneration() {
        int g = GENERATIONS.incrementAndGet();
        while (g == 0) {
            g = GENERATIONS.incrementAndGet();
        }
        return g;
    }

    /** The handle of index {@code index} at generation {@code generation}. */
    public static long handle(int index, int generation) {
        return ((long) generation << 32) | (index & 0xFFFF_FFFFL);
    }

    /** The page index of a handle. */
    public static int index(long handle) {
        return (int) handle;
    }

    /** The generation of a handle. */
    public static int generation(long handle) {
        return (int) (handle >>> 32);
    }

    /** A readable form, {@code index#generation}. */
    public static String describe(long handle) {
        return index(handle) + "#" + generation(handle);
    }
}
