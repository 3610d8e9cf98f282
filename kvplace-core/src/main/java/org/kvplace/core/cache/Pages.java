package org.kvplace.core.cache;

/**
 * Page handles: a {@code long} packing a page index (low 32 bits) and the generation of that index
 * (high 32 bits), so that a handle of a freed page never names the page that reuses its index.
 */
public final class Pages {

    private Pages() {}

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
