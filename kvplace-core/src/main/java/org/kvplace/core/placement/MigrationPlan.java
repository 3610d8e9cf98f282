package org.kvplace.core.placement;

import java.util.Arrays;
import java.util.Objects;

/**
 * The moves a policy asks for at one step: promotions (slow to fast) and demotions (fast to
 * slow), each a {@code (layer, unit)} pair. The driver applies all demotions first, then all
 * promotions, and fails if a move is impossible (unit absent, already in that tier) or if the
 * fast tier would overflow. A plan is a reusable buffer: the driver clears it before each call.
 * Not thread-safe.
 *
 * <p>Moves are kept in the order asked for. Internally, consecutive moves of one layer that
 * ascend within one 64-unit word share an entry (a word of bits), so that the placement applies
 * them a word at a time; the indexed accessors ({@link #promotedUnit(int)}, ...) list the moves
 * one by one, in the order asked for, unfolding the entries once per change of the plan.
 */
public final class MigrationPlan {

    private final Moves promote = new Moves();
    private final Moves demote = new Moves();

    /** Creates an empty plan. */
    public MigrationPlan() {}

    /** Asks to move a unit from the slow to the fast tier. */
    public void promote(int layer, int unit) {
        promote.add(layer, unit);
    }

    /** Asks to move a unit from the fast to the slow tier. */
    public void demote(int layer, int unit) {
        demote.add(layer, unit);
    }

    /**
     * Asks to promote the units {@code word * 64 + i} of {@code layer} for the set bits {@code i}
     * of {@code bits}, in ascending order: the same as one {@link #promote} per unit.
     */
    void promoteWord(int layer, int word, long bits) {
        promote.addWord(layer, word, bits);
    }

    /**
     * Asks to demote the units {@code word * 64 + i} of {@code layer} for the set bits {@code i}
     * of {@code bits}, in ascending order: the same as one {@link #demote} per unit.
     */
    void demoteWord(int layer, int word, long bits) {
        demote.addWord(layer, word, bits);
    }

    /** Number of promotions. */
    public int promotions() {
        return promote.count;
    }

    /** Number of demotions. */
    public int demotions() {
        return demote.count;
    }

    /** Layer of promotion {@code i}. */
    public int promotedLayer(int i) {
        return promote.layer(i);
    }

    /** Unit id of promotion {@code i}. */
    public int promotedUnit(int i) {
        return promote.unit(i);
    }

    /** Layer of demotion {@code i}. */
    public int demotedLayer(int i) {
        return demote.layer(i);
    }

    /** Unit id of demotion {@code i}. */
    public int demotedUnit(int i) {
        return demote.unit(i);
    }

    /** Whether the plan asks for nothing. */
    public boolean isEmpty() {
        return promote.count == 0 && demote.count == 0;
    }

    /** Empties the plan, keeping its buffers. */
    public void clear() {
        promote.clear();
        demote.clear();
    }

    /** The promotions as word entries, for the placement. */
    Moves promotionMoves() {
        return promote;
    }

    /** The demotions as word entries, for the placement. */
    Moves demotionMoves() {
        return demote;
    }

    @Override
    public String toString() {
        return "MigrationPlan[promotions=" + promotions() + ", demotions=" + demotions() + "]";
    }

    /**
     * Moves of one direction: entries {@code (layer, word, bits)}, each holding the units
     * {@code word * 64 + i} for the set bits {@code i}, ascending, in the order they were asked
     * for; a unit below or equal to the entry's highest one starts a new entry.
     */
    static final class Moves {
        // Entries (layer, word, bits), growing as needed; kept between steps.
        private int[] layers = new int[64];
        private int[] words = new int[64];
        private long[] bits = new long[64];
        private int entries;
        // The moves one by one, unfolded from the entries when an indexed accessor asks.
        private int[] flatLayer = new int[256];
        private int[] flatUnit = new int[256];
        private int count;
        private boolean flat = true;

        void add(int layer, int unit) {
            addWord(layer, unit >> 6, 1L << unit);
        }

        void addWord(int layer, int w, long b) {
            if (b == 0) {
                return;
            }
            int n = entries;
            if (n > 0 && words[n - 1] == w && layers[n - 1] == layer
                    && Long.numberOfTrailingZeros(b) > 63 - Long.numberOfLeadingZeros(bits[n - 1])) {
                bits[n - 1] |= b;
            } else {
                append(layer, w, b);
            }
            count += Long.bitCount(b);
            flat = false;
        }

        private void append(int layer, int w, long b) {
            if (entries == words.length) {
                int size = 2 * entries;
                layers = Arrays.copyOf(layers, size);
                words = Arrays.copyOf(words, size);
                bits = Arrays.copyOf(bits, size);
            }
            layers[entries] = layer;
            words[entries] = w;
            bits[entries] = b;
            entries++;
        }

        /** Number of entries. */
        int entries() {
            return entries;
        }

        int entryLayer(int e) {
            return layers[Objects.checkIndex(e, entries)];
        }

        int entryWord(int e) {
            return words[Objects.checkIndex(e, entries)];
        }

        long entryBits(int e) {
            return bits[Objects.checkIndex(e, entries)];
        }

        int layer(int i) {
            Objects.checkIndex(i, count);
            unfold();
            return flatLayer[i];
        }

        int unit(int i) {
            Objects.checkIndex(i, count);
            unfold();
            return flatUnit[i];
        }

        private void unfold() {
            if (flat) {
                return;
            }
            if (flatLayer.length < count) {
                int size = Math.max(count, 2 * flatLayer.length);
                flatLayer = new int[size];
                flatUnit = new int[size];
            }
            int i = 0;
            for (int e = 0; e < entries; e++) {
                int l = layers[e];
                int base = words[e] << 6;
                long b = bits[e];
                while (b != 0) {
                    flatLayer[i] = l;
                    flatUnit[i++] = base + Long.numberOfTrailingZeros(b);
                    b &= b - 1;
                }
            }
            flat = true;
        }

        void clear() {
            entries = 0;
            count = 0;
            flat = true;
        }
    }
}
