package org.kvplace.core.trace;

/**
 * Static helpers on bit sets of unit ids stored in {@code long[]} words (bit {@code i} of word
 * {@code i >>> 6}). Policies and drivers use them to keep read sets and placements without
 * boxing or per-step allocation. Stateless and thread-safe; the arrays belong to the caller.
 */
public final class Bits {

    private Bits() {}

    /** Words needed for {@code bits} bits. */
    public static int words(int bits) {
        return (bits + 63) >>> 6;
    }

    /** Whether bit {@code i} is set. */
    public static boolean get(long[] w, int i) {
        return (w[i >>> 6] & (1L << i)) != 0;
    }

    /** Sets bit {@code i}. */
    public static void set(long[] w, int i) {
        w[i >>> 6] |= 1L << i;
    }

    /** Clears bit {@code i}. */
    public static void clear(long[] w, int i) {
        w[i >>> 6] &= ~(1L << i);
    }

    /** Sets bits {@code [from, to)}. */
    public static void setRange(long[] w, int from, int to) {
        if (from >= to) {
            return;
        }
        int fw = from >>> 6;
        int tw = (to - 1) >>> 6;
        long first = -1L << from;
        long last = -1L >>> -to;
        if (fw == tw) {
            w[fw] |= first & last;
            return;
        }
        w[fw] |= first;
        for (int i = fw + 1; i < tw; i++) {
            w[i] = -1L;
        }
        w[tw] |= last;
    }

    /** Number of set bits in the first {@code words} words. */
    public static int count(long[] w, int words) {
        int c = 0;
        for (int i = 0; i < words; i++) {
            c += Long.bitCount(w[i]);
        }
        return c;
    }

    /** Number of bits set in both {@code a} and {@code b} within the first {@code words} words. */
    public static int countAnd(long[] a, long[] b, int words) {
        int c = 0;
        for (int i = 0; i < words; i++) {
            c += Long.bitCount(a[i] & b[i]);
        }
        return c;
    }

    /** The first set bit at or after {@code from} and before {@code limit}, or -1. */
    public static int nextSet(long[] w, int from, int limit) {
        if (from >= limit) {
            return -1;
        }
        int wi = from >>> 6;
        long word = w[wi] & (-1L << from);
        int lastWord = (limit - 1) >>> 6;
        while (true) {
            if (word != 0) {
                int i = (wi << 6) + Long.numberOfTrailingZeros(word);
                return i < limit ? i : -1;
            }
            if (++wi > lastWord) {
                return -1;
            }
            word = w[wi];
        }
    }

    /** The first clear bit at or after {@code from} and before {@code limit}, or -1. */
    public static int nextClear(long[] w, int from, int limit) {
        if (from >= limit) {
            return -1;
        }
        int wi = from >>> 6;
        long word = ~w[wi] & (-1L << from);
        int lastWord = (limit - 1) >>> 6;
        while (true) {
            if (word != 0) {
                int i = (wi << 6) + Long.numberOfTrailingZeros(word);
                return i < limit ? i : -1;
            }
            if (++wi > lastWord) {
                return -1;
            }
            word = ~w[wi];
        }
    }
}
