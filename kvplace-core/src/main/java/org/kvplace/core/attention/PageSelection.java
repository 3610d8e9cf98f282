package org.kvplace.core.attention;

import org.kvplace.core.kernel.DecodeKernel;

/**
 * Chooses the pages a sparse decode step reads, Quest-style: the first (sink) page and the newest
 * page always, then the pages of highest score (see {@link DecodeKernel#scorePages}) while the
 * budget in tokens allows. Equal scores resolve to the lower page index, so the choice is
 * deterministic and identical for every kernel that computes identical scores.
 *
 * <p>Every page but the newest holds {@code pageTokens} tokens, so a budget of {@code B} tokens
 * reads the sink, the newest page and {@code floor((B - sinkTokens - newestTokens) / pageTokens)}
 * more pages. A budget of at least the layer's token count ({@link #ALL}) selects every page.
 *
 * <p>Scratch space is allocated once, in the constructor; {@link #select} does not allocate. An
 * instance belongs to one thread.
 */
public final class PageSelection {

    /** A budget that selects every page (dense attention). */
    public static final int ALL = Integer.MAX_VALUE;

    private final int[] heap;
    private final boolean[] chosen;

    /**
     * Scratch for layers of up to {@code maxPages} pages.
     *
     * @throws IllegalArgumentException if {@code maxPages} is not positive
     */
    public PageSelection(int maxPages) {
        if (maxPages <= 0) {
            throw new IllegalArgumentException("maxPages must be positive, got " + maxPages);
        }
        this.heap = new int[maxPages];
        this.chosen = new boolean[maxPages];
    }

    /** Largest page count {@link #select} accepts. */
    public int maxPages() {
        return heap.length;
    }

    /**
     * Writes the chosen page indices, strictly increasing, to {@code selected}.
     *
     * @param scores per-page scores, at least {@code pageCount} of them (finite)
     * @param pageCount pages of the layer, in {@code [1, maxPages()]}
     * @param tokenCount tokens of the layer, in {@code ((pageCount-1)*pageTokens, pageCount*pageTokens]}
     * @param pageTokens tokens per full page, positive
     * @param budgetTokens tokens to read at most (the sink and newest page are read whatever it is)
     * @param selected receives the chosen pages; at least {@code pageCount} long
     * @return the number of pages chosen
     * @throws IllegalArgumentException if a size is inconsistent or the budget is negative
     */
    public int select(float[] scores, int pageCount, int tokenCount, int pageTokens, int budgetTokens, int[] selected) {
        if (pageCount <= 0 || pageCount > heap.length || pageTokens <= 0 || scores.length < pageCount
                || selected.length < pageCount) {
            throw new IllegalArgumentException("pageCount=" + pageCount + " must be in [1, " + heap.length
                    + "] and fit scores.length=" + scores.length + " and selected.length=" + selected.length
                    + " (pageTokens=" + pageTokens + ")");
        }
        if (tokenCount <= (long) (pageCount - 1) * pageTokens || tokenCount > (long) pageCount * pageTokens) {
            throw new IllegalArgumentException("tokenCount=" + tokenCount + " does not fill " + pageCount
                    + " pages of " + pageTokens + " tokens");
        }
        if (budgetTokens < 0) {
            throw new IllegalArgumentException("budgetTokens must be >= 0, got " + budgetTokens);
        }
        int newest = pageCount - 1;
        int newestTokens = tokenCount - newest * pageTokens;
        long fixedTokens = pageCount == 1 ? newestTokens : (long) pageTokens + newestTokens;
        int extra = (int) Math.max(0, Math.min(pageCount - 2, (budgetTokens - fixedTokens) / pageTokens));
        if (budgetTokens >= tokenCount || extra >= pageCount - 2) {
            for (int p = 0; p < pageCount; p++) {
                selected[p] = p;
            }
            return pageCount;
        }
        // Min-heap of the best 'extra' middle pages; its root is the worst of them.
        int size = 0;
        for (int p = 1; p < newest && extra > 0; p++) {
            if (size < extra) {
                heap[size] = p;
                siftUp(scores, size++);
            } else if (better(scores, p, heap[0])) {
                heap[0] = p;
                siftDown(scores, size);
            }
        }
        chosen[0] = true;
        chosen[newest] = true;
        for (int i = 0; i < size; i++) {
            chosen[heap[i]] = true;
        }
        int n = 0;
        for (int p = 0; p < pageCount; p++) {
            if (chosen[p]) {
                selected[n++] = p;
                chosen[p] = false;
            }
        }
        return n;
    }

    /** Whether page {@code a} ranks before page {@code b}: higher score, or equal score and lower index. */
    private static boolean better(float[] scores, int a, int b) {
        float sa = scores[a];
        float sb = scores[b];
        return sa > sb || (sa == sb && a < b);
    }

    private void siftUp(float[] scores, int i) {
        int x = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!better(scores, heap[parent], x)) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = x;
    }

    private void siftDown(float[] scores, int size) {
        int i = 0;
        int x = heap[0];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && better(scores, heap[child], heap[child + 1])) {
                child++;
            }
            if (!better(scores, x, heap[child])) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = x;
    }
}
