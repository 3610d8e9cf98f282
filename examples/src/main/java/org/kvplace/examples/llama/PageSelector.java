package org.kvplace.examples.llama;

import java.util.Arrays;

/**
 * Chooses the KV pages sparse attention reads, Quest-style, within a budget of pages.
 *
 * <p>Per layer and page it keeps the element-wise min and max of the keys appended so far (fed by
 * {@link #observe}). For each query head, {@code b(p) = sum_d max(q_d * min_d, q_d * max_d)} bounds
 * the dot product of the head's query with any key of page {@code p} (through the head's KV
 * group). One page list serves all heads (the cache's sparse attend takes one list per layer), so
 * the heads' bounds are combined: each head contributes {@code softmax_p(b(p) / sqrt(headDim))},
 * the attention mass the page could at most draw if its bound were reached, and a page's score is
 * the sum over heads. (The largest bound over heads did worse: see docs/decode.md.) The sink page
 * 0 and the newest page are
 * always read; the remaining budget goes to the highest scores (ties: the lower page index). The
 * result is sorted ascending, as {@code Sequence.attend} expects. When the layer has no more
 * pages than the budget, every page is selected.
 *
 * <p>This class stands in for the library's page selection: it is used only through
 * {@link #select}, so a selection built into {@code org.kvplace.core} can replace it in one place.
 *
 * <p>Not thread-safe (one per decoding sequence). All arrays are allocated at construction;
 * {@link #observe} and {@link #select} do not allocate.
 */
public final class PageSelector {

    private final int pageTokens;
    private final int budgetPages;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final float[][] min; // [layer][page * kvWidth + i]
    private final float[][] max;
    private final int[] pagesSeen;
    private final float[] scores;
    private final float[] bounds;

    /**
     * @param layers layers
     * @param maxPages most pages one layer may hold
     * @param pageTokens tokens per page
     * @param budgetPages pages to read per step (at least 2: sink and newest)
     * @param heads query heads
     * @param kvHeads KV heads
     * @param headDim elements per head
     * @throws IllegalArgumentException if a size is not positive or {@code budgetPages < 2}
     */
    public PageSelector(int layers, int maxPages, int pageTokens, int budgetPages, int heads, int kvHeads, int headDim) {
        if (layers <= 0 || maxPages <= 0 || pageTokens <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0
                || heads % kvHeads != 0) {
            throw new IllegalArgumentException("bad selector shape: layers=" + layers + " maxPages=" + maxPages
                    + " pageTokens=" + pageTokens + " heads=" + heads + " kvHeads=" + kvHeads + " headDim=" + headDim);
        }
        if (budgetPages < 2) {
            throw new IllegalArgumentException("budgetPages must be at least 2 (sink and newest page), got "
                    + budgetPages);
        }
        this.pageTokens = pageTokens;
        this.budgetPages = budgetPages;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.group = heads / kvHeads;
        int kvWidth = kvHeads * headDim;
        this.min = new float[layers][maxPages * kvWidth];
        this.max = new float[layers][maxPages * kvWidth];
        this.pagesSeen = new int[layers];
        this.scores = new float[maxPages];
        this.bounds = new float[maxPages];
    }

    /** Pages read per step at most. */
    public int budgetPages() {
        return budgetPages;
    }

    /** Records the key of token {@code position} of {@code layer} (after rotary embedding). */
    public void observe(int layer, int position, float[] k) {
        int page = position / pageTokens;
        int kvWidth = kvHeads * headDim;
        float[] lo = min[layer];
        float[] hi = max[layer];
        int base = page * kvWidth;
        if (position % pageTokens == 0) {
            System.arraycopy(k, 0, lo, base, kvWidth);
            System.arraycopy(k, 0, hi, base, kvWidth);
        } else {
            for (int i = 0; i < kvWidth; i++) {
                lo[base + i] = Math.min(lo[base + i], k[i]);
                hi[base + i] = Math.max(hi[base + i], k[i]);
            }
        }
        pagesSeen[layer] = page + 1;
    }

    /**
     * Writes the pages to read for query {@code q} of {@code layer} into {@code out}, ascending.
     *
     * @return the number of pages written
     */
    public int select(int layer, float[] q, int[] out) {
        int n = pagesSeen[layer];
        if (n <= budgetPages) {
            for (int p = 0; p < n; p++) {
                out[p] = p;
            }
            return n;
        }
        float[] lo = min[layer];
        float[] hi = max[layer];
        int kvWidth = kvHeads * headDim;
        int heads = group * kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        java.util.Arrays.fill(scores, 0, n, 0f);
        for (int h = 0; h < heads; h++) {
            int qb = h * headDim;
            int kh = (h / group) * headDim;
            float top = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < n; p++) {
                int kb = p * kvWidth + kh;
                float s = 0f;
                for (int d = 0; d < headDim; d++) {
                    float qd = q[qb + d];
                    s += Math.max(qd * lo[kb + d], qd * hi[kb + d]);
                }
                bounds[p] = s * scale;
                top = Math.max(top, bounds[p]);
            }
            float sum = 0f;
            for (int p = 0; p < n; p++) {
                bounds[p] = (float) Math.exp(bounds[p] - top);
                sum += bounds[p];
            }
            for (int p = 0; p < n; p++) {
                scores[p] += bounds[p] / sum;
            }
        }
        // Sink and newest first, then the best of the rest by repeated maximum (n is small).
        scores[0] = Float.NaN;
        scores[n - 1] = Float.NaN;
        int count = 0;
        out[count++] = 0;
        out[count++] = n - 1;
        while (count < budgetPages) {
            int arg = -1;
            float best = Float.NEGATIVE_INFINITY;
            for (int p = 1; p < n - 1; p++) {
                if (scores[p] > best || (arg < 0 && !Float.isNaN(scores[p]))) { // NaN marks a taken page
                    best = scores[p];
                    arg = p;
                }
            }
            if (arg < 0) {
                break;
            }
            scores[arg] = Float.NaN;
            out[count++] = arg;
        }
        Arrays.sort(out, 0, count);
        return count;
    }
}
