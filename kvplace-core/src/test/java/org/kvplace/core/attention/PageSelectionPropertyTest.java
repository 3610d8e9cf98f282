package org.kvplace.core.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link PageSelection} against a full sort: the sink page, the newest page, and the best
 * {@code floor((budget - sink - newest) / pageTokens)} middle pages by score (ties to the lower
 * index), in increasing order.
 */
class PageSelectionPropertyTest {

    @Property(tries = 500, seed = "4242")
    void shouldChooseWhatAFullSortChooses(@ForAll @IntRange(min = 1, max = 60) int pageCount,
            @ForAll @IntRange(min = 1, max = 17) int pageTokens, @ForAll @IntRange(min = 1, max = 17) int newestTokens,
            @ForAll @IntRange(min = 0, max = 1200) int budget, @ForAll @IntRange(min = 0, max = 4) int distinctScores,
            @ForAll long seed) {
        int newest = Math.min(newestTokens, pageTokens);
        int tokens = (pageCount - 1) * pageTokens + newest;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] scores = new float[pageCount];
        for (int p = 0; p < pageCount; p++) {
            // few distinct values make ties common; otherwise any value
            scores[p] = distinctScores > 0 ? rnd.nextInt(distinctScores) : (float) rnd.nextGaussian() * 100f;
        }
        int[] selected = new int[pageCount];
        int n = new PageSelection(64).select(scores, pageCount, tokens, pageTokens, budget, selected);
        assertArrayEquals(expected(scores, pageCount, tokens, pageTokens, budget), Arrays.copyOf(selected, n),
                "scores " + Arrays.toString(scores) + " budget " + budget);
    }

    /** The full sort: every middle page ranked by score, then index; the best that fit the budget. */
    private static int[] expected(float[] scores, int pageCount, int tokens, int pageTokens, int budget) {
        if (budget >= tokens || pageCount <= 2) {
            return IntStream.range(0, pageCount).toArray();
        }
        int newestTokens = tokens - (pageCount - 1) * pageTokens;
        long extra = Math.max(0, (budget - (long) pageTokens - newestTokens) / pageTokens);
        Integer[] middle = IntStream.range(1, pageCount - 1).boxed().toArray(Integer[]::new);
        Arrays.sort(middle, Comparator.<Integer>comparingDouble(p -> -scores[p]).thenComparingInt(p -> p));
        int take = (int) Math.min(extra, middle.length);
        return IntStream.concat(IntStream.of(0, pageCount - 1), Arrays.stream(middle, 0, take).mapToInt(i -> i))
                .sorted().toArray();
    }
}
