package org.kvplace.core.kernel;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.kvplace.core.attention.PageSelection;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;


class PageSelectionTest {

    private static int[] select(float[] scores, int tokenCount, int pageTokens, int budget) {
        int[] out = new int[scores.length];
        int n = new PageSelection(scores.length).select(scores, scores.length, tokenCount, pageTokens, budget, out);
        return Arrays.copyOf(out, n);
    }

    @Test
    void shouldAlwaysReadSinkAndNewestPage() {
        float[] scores = {-5f, 9f, 8f, 7f, -9f};
        // budget 0: sink and newest only
        assertArrayEquals(new int[] {0, 4}, select(scores, 70, 16, 0));
    }

    @Test
    void shouldPickHighestScoresWithinBudget() {
        float[] scores = {0f, 1f, 5f, 3f, 4f, 2f, 0f};
        // 7 pages of 16, newest holds 4 tokens: sink 16 + newest 4 = 20; budget 20 + 2*16 + 15 allows two more
        assertArrayEquals(new int[] {0, 2, 4, 6}, select(scores, 100, 16, 20 + 32 + 15));
    }

    @Test
    void shouldBreakTiesByLowerPageIndex() {
        float[] scores = {0f, 3f, 7f, 3f, 7f, 3f, 0f};
        assertArrayEquals(new int[] {0, 1, 2, 4, 6}, select(scores, 112, 16, 16 * 5));
        assertArrayEquals(new int[] {0, 2, 4, 6}, select(scores, 112, 16, 16 * 4));
    }

    @Test
    void shouldSelectEveryPageWhenBudgetCoversTheLayer() {
        float[] scores = {1f, 2f, 3f, 4f};
        assertArrayEquals(new int[] {0, 1, 2, 3}, select(scores, 64, 16, 64));
        assertArrayEquals(new int[] {0, 1, 2, 3}, select(scores, 64, 16, PageSelection.ALL));
        assertArrayEquals(new int[] {0}, select(new float[] {1f}, 3, 16, 0));
    }

    @Test
    void shouldRejectInconsistentSizes() {
        PageSelection s = new PageSelection(4);
        int[] out = new int[4];
        float[] scores = new float[4];
        assertThrows(IllegalArgumentException.class, () -> s.select(scores, 5, 80, 16, 10, out));
        assertThrows(IllegalArgumentException.class, () -> s.select(scores, 0, 0, 16, 10, out));
        assertThrows(IllegalArgumentException.class, () -> s.select(scores, 4, 48, 16, 10, out));
        assertThrows(IllegalArgumentException.class, () -> s.select(scores, 4, 65, 16, 10, out));
        assertThrows(IllegalArgumentException.class, () -> s.select(scores, 4, 64, 16, -1, out));
        assertThrows(IllegalArgumentException.class, () -> new PageSelection(0));
    }

    @Test
    void shouldMatchSortedRankingOnManyPages() {
        int n = 1000;
        float[] scores = new float[n];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            scores[i] = rnd.nextInt(50); // many ties
        }
        int[] got = select(scores, n * 8, 8, 8 * 102);
        // expectation: sort middle pages by (score desc, index asc), take 100, add 0 and n-1
        Integer[] middle = new Integer[n - 2];
        for (int i = 0; i < n - 2; i++) {
            middle[i] = i + 1;
        }
        Arrays.sort(middle, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a]) : Integer.compare(a, b));
        int[] expected = new int[102];
        expected[0] = 0;
        expected[1] = n - 1;
        for (int i = 0; i < 100; i++) {
            expected[i + 2] = middle[i];
        }
        Arrays.sort(expected);
        assertEquals(102, got.length);
        assertArrayEquals(expected, got);
    }
}
