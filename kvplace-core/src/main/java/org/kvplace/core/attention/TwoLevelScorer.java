package org.kvplace.core.attention;

import java.util.Arrays;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.KvLayerView;

/**
 * The first level of two-level page selection: scores every group of pages from the group's key
 * bounds, keeps the first and newest groups and the best others within {@code oversample} times
 * the budget, and scores only the pages of the kept groups (see
 * {@link SparseAttention.Builder#oversample}). Owns its scratch; allocates only when built.
 */
final class TwoLevelScorer {

    private final DecodeKernel kernel;
    private final int oversample;
    private final PageSelection groupSelection;
    private final MetadataViews.Groups groupView = new MetadataViews.Groups();
    private final MetadataViews.Subset candidateView = new MetadataViews.Subset();
    private final float[] groupScores;
    private final int[] selectedGroups;
    private final int[] candidates;
    private final float[] candidateScores;

    TwoLevelScorer(DecodeKernel kernel, int oversample, int maxPages) {
        this.kernel = kernel;
        this.oversample = oversample;
        this.groupSelection = new PageSelection(maxPages);
        this.groupScores = new float[maxPages];
        this.selectedGroups = new int[maxPages];
        this.candidates = new int[maxPages];
        this.candidateScores = new float[maxPages];
    }

    /**
     * Fills {@code scores[0 .. n-1]}: the bound of every page of the kept groups, negative infinity
     * for the others.
     *
     * @return the number of pages whose bounds were scored
     */
    int score(KvLayerView layer, float[] q, int n, int tokenCount, int pageTokens, int budgetTokens, float[] scores) {
        int g = layer.groupPages();
        groupView.of(layer);
        int groups = groupView.pageCount();
        kernel.scorePages(groupView, q, groupScores);
        int groupTokens = g * pageTokens;
        // The first and newest groups are kept on top of the oversampled budget.
        long fixedTokens = groups == 1 ? tokenCount : groupTokens + (tokenCount - (long) (groups - 1) * groupTokens);
        long keepTokens = Math.min(fixedTokens + (long) oversample * budgetTokens, Integer.MAX_VALUE);
        int kept = groupSelection.select(groupScores, groups, tokenCount, groupTokens, (int) keepTokens,
                selectedGroups);
        int c = 0;
        for (int i = 0; i < kept; i++) {
            int first = selectedGroups[i] * g;
            int end = Math.min(n, first + g);
            for (int p = first; p < end; p++) {
                candidates[c++] = p;
            }
        }
        candidateView.of(layer, candidates, c);
        kernel.scorePages(candidateView, q, candidateScores);
        Arrays.fill(scores, 0, n, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < c; i++) {
            scores[candidates[i]] = candidateScores[i];
        }
        return c;
    }
}
