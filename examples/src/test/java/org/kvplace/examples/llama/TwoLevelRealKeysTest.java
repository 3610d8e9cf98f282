package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.attention.SparseAttention;

/**
 * Flat against two-level page selection on the keys of a real model: stories260K decodes greedily
 * and densely over its whole context, and at every layer of every position from {@link #FROM} on,
 * flat and two-level drivers select pages for the same query on the same cache; the share of the
 * dense attention mass (summed over query heads, from the dense step's page masses) that lands in
 * each selection is averaged. A random choice of as many middle pages as flat reads is the
 * reference that shows the measure tells selections apart.
 *
 * <p>With {@code -Dkvplace.twolevel.report=FILE} the table of every setting is written to FILE
 * (the figures in docs/decode.md); nothing is printed.
 */
class TwoLevelRealKeysTest extends Stories260KTest {

    /** Positions measured: the second half of the 512-token context, where every budget below drops pages. */
    static final int FROM = 256;
    static final int TOKENS = 512;
    static final int[] BUDGETS = {32, 64, 96, 128};
    static final int[] OVERSAMPLES = {0, 1, 2, 4};


    /** Mean captured dense mass, per budget and oversample, and of the random reference per budget. */
    record Captured(double[][] selection, double[] random, double[][] scored, long steps) {}

    static Captured measure(int pageTokens) {
        LlamaConfig c = model.config();
        CacheConfig cc = new CacheConfig(pageTokens, -1, -1, Double.POSITIVE_INFINITY);
        double[][] sum = new double[BUDGETS.length][OVERSAMPLES.length];
        double[][] scored = new double[BUDGETS.length][OVERSAMPLES.length];
        double[] random = new double[BUDGETS.length];
        long[] steps = new long[1];
        try (TieredKvCache cache = cc.build(c, TOKENS); Sequence seq = cache.newSequence()) {
            int maxPages = cache.pagesPerLayer();
            SparseAttention[][] drivers = new SparseAttention[BUDGETS.length][OVERSAMPLES.length];
            for (int b = 0; b < BUDGETS.length; b++) {
                for (int o = 0; o < OVERSAMPLES.length; o++) {
                    drivers[b][o] = SparseAttention.builder(cache.kernel(), c.heads(), c.headDim(), maxPages)
                            .budgetTokens(BUDGETS[b]).parallelLanes(false).oversample(OVERSAMPLES[o]).build();
                }
            }
            float[] out = new float[c.qWidth()];
            int[] middle = new int[maxPages];
            SplittableRandom rnd = new SplittableRandom(11);
            LlamaDecoder[] decoder = new LlamaDecoder[1];
            AttentionObserver observer = (position, layer, pages, masses, count) -> {
                if (position < FROM) {
                    return;
                }
                // Dense: every page, in order, so masses[p] is page p's mass.
                assertEquals(seq.pageCount(layer), count);
                float[] q = decoder[0].lastQuery();
                for (int b = 0; b < BUDGETS.length; b++) {
                    for (int o = 0; o < OVERSAMPLES.length; o++) {
                        SparseAttention a = drivers[b][o];
                        seq.attend(layer, q, out, a);
                        double m = 0;
                        for (int i = 0; i < a.selectedCount(); i++) {
                            m += masses[a.selectedPage(i)];
                        }
                        sum[b][o] += m / c.heads();
                        scored[b][o] += a.scoredPages();
                    }
                    // As many random middle pages as flat chose, with the sink and the newest page.
                    int k = drivers[b][0].selectedCount() - 2;
                    for (int p = 1; p < count - 1; p++) {
                        middle[p - 1] = p;
                    }
                    double m = masses[0] + masses[count - 1];
                    for (int i = 0; i < k; i++) {
                        int j = i + rnd.nextInt(count - 2 - i);
                        int t = middle[i];
                        middle[i] = middle[j];
                        middle[j] = t;
                        m += masses[middle[i]];
                    }
                    random[b] += m / c.heads();
                }
                steps[0]++;
            };
            try (LlamaDecoder d = new LlamaDecoder(model, seq, PageSelection.ALL, false, observer)) {
                decoder[0] = d;
                DecodeLoop.run(d, model.tokenizer(), new int[] {model.tokenizer().bos()}, TOKENS,
                        new Sampler(c.vocabSize(), 0f, 1f, 0), false, (prev, next) -> {});
            } finally {
                for (SparseAttention[] row : drivers) {
                    for (SparseAttention a : row) {
                        a.close();
                    }
                }
            }
        }
        for (int b = 0; b < BUDGETS.length; b++) {
            random[b] /= steps[0];
            for (int o = 0; o < OVERSAMPLES.length; o++) {
                sum[b][o] /= steps[0];
                scored[b][o] /= steps[0];
            }
        }
        return new Captured(sum, random, scored, steps[0]);
    }

    @Test
    void shouldKeepMostOfFlatSelectionsMassOnRealKeys() throws IOException {
        int[] pageSizes = {2, 4};
        Captured[] results = new Captured[pageSizes.length];
        StringBuilder report = new StringBuilder();
        for (int s = 0; s < pageSizes.length; s++) {
            Captured r = measure(pageSizes[s]);
            results[s] = r;
            for (int b = 0; b < BUDGETS.length; b++) {
                report.append(String.format(Locale.ROOT, "| %d | %d | %.3f |", pageSizes[s], BUDGETS[b],
                        r.random()[b]));
                for (int o = 0; o < OVERSAMPLES.length; o++) {
                    report.append(String.format(Locale.ROOT, " %.3f (%.1f) |", r.selection()[b][o], r.scored()[b][o]));
                }
                report.append('\n');
            }
        }
        String file = System.getProperty("kvplace.twolevel.report");
        if (file != null && !file.isBlank()) {
            Files.writeString(Path.of(file), report.toString());
        }
        for (int s = 0; s < pageSizes.length; s++) {
            Captured r = results[s];
            assertEquals((long) (TOKENS - FROM) * model.config().layers(), r.steps());
            for (int b = 0; b < BUDGETS.length; b++) {
                double flat = r.selection()[b][0];
                String at = "page tokens " + pageSizes[s] + ", budget " + BUDGETS[b];
                // The measure tells selections apart: bounds beat chance at every budget (measured: by
                // 0.39 to 0.55 of the mass).
                assertTrue(flat - r.random()[b] > 0.2, at + ": flat " + flat + " vs random " + r.random()[b]);
                for (int o = 1; o < OVERSAMPLES.length; o++) {
                    double twoLevel = r.selection()[b][o];
                    // Measured (docs/decode.md): two-level is within 0.015 of flat at oversample 1 and
                    // never more than 0.001 below it at 2 and 4 (sometimes above: flat's bound is not
                    // the mass). The bounds leave room for another kernel's rounding, and fail if the
                    // first level dropped the groups that hold the mass (a random choice is 0.2 to
                    // 0.5 below flat).
                    double allowed = OVERSAMPLES[o] == 1 ? 0.04 : 0.02;
                    assertTrue(twoLevel >= flat - allowed, at + ", oversample " + OVERSAMPLES[o] + ": " + twoLevel
                            + " vs flat " + flat);
                    assertTrue(twoLevel <= flat + 0.03, at + ": two-level beat flat by much: " + twoLevel + " vs "
                            + flat);
                }
            }
        }
    }
}
