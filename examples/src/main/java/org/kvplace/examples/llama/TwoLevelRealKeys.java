package org.kvplace.examples.llama;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;

/**
 * Flat against two-level page selection on the keys of a real model (the real-keys table of
 * docs/decode.md): the model decodes greedily and densely from BOS over {@link #TOKENS} positions,
 * and at every layer of every position from {@link #FROM} on, flat and two-level drivers select
 * pages for the same query on the same cache; the share of the dense attention mass that lands in
 * each selection (summed over query heads from the dense step's page masses, divided by the number
 * of query heads) is averaged over those layer-steps. A random choice of as many middle pages as
 * flat reads, with the sink and the newest page, is the reference that shows the measure tells
 * selections apart.
 *
 * <p>The selections are the code measured; the mass is the dense step's own (every page read, in
 * order), not the sparse drivers'. Every figure is fixed by the model and the parameters below (the
 * random reference's seed included), so a run reproduces the table exactly.
 */
public final class TwoLevelRealKeys {

    /** Positions measured from: the second half of the context, where every budget below drops pages. */
    public static final int FROM = 256;
    /** Positions decoded; the model's context must hold as many. */
    public static final int TOKENS = 512;
    /** Token budgets measured. */
    public static final List<Integer> BUDGETS = List.of(32, 64, 96, 128);
    /** Oversampling factors measured: {@code 0} is flat selection, the others two-level. */
    public static final List<Integer> OVERSAMPLES = List.of(0, 1, 2, 4);
    /** Page sizes (tokens per page) of the table. */
    public static final List<Integer> PAGE_TOKENS = List.of(2, 4);

    private static final long RANDOM_SEED = 11;

    private TwoLevelRealKeys() {}

    /** The figures of one page size: mean captured mass and page bounds scored, per budget and oversample. */
    public static final class Captured {
        private final int pageTokens;
        private final double[][] selection;
        private final double[] random;
        private final double[][] scored;
        private final long steps;

        private Captured(int pageTokens, double[][] selection, double[] random, double[][] scored, long steps) {
            this.pageTokens = pageTokens;
            this.selection = selection;
            this.random = random;
            this.scored = scored;
            this.steps = steps;
        }

        /** Tokens per page. */
        public int pageTokens() {
            return pageTokens;
        }

        /** Layer-steps measured: {@code (TOKENS - FROM)} times the model's layers. */
        public long steps() {
            return steps;
        }

        /**
         * Mean mass captured at budget index {@code b} and oversample index {@code o}, as indexed in
         * {@link #BUDGETS} and {@link #OVERSAMPLES} (oversample index 0 is flat selection).
         */
        public double selection(int b, int o) {
            return selection[b][o];
        }

        /** Mean mass the random reference captured at budget index {@code b}. */
        public double random(int b) {
            return random[b];
        }

        /** Page bounds scored per layer-step at budget index {@code b} and oversample index {@code o}. */
        public double scored(int b, int o) {
            return scored[b][o];
        }

        @Override
        public String toString() {
            return "page tokens " + pageTokens + ", " + steps + " layer-steps";
        }
    }

    /**
     * Decodes {@link #TOKENS} positions of {@code model} densely on a cache of {@code pageTokens}-token
     * pages and measures every budget and oversample there.
     *
     * @param model the model; not closed
     * @param pageTokens tokens per page, positive
     * @return the figures
     * @throws IllegalArgumentException if the model's context holds fewer than {@link #TOKENS}
     *     positions, or {@code pageTokens} is not positive
     */
    public static Captured measure(LlamaModel model, int pageTokens) {
        Objects.requireNonNull(model, "model");
        LlamaConfig c = model.config();
        if (c.contextLength() < TOKENS) {
            throw new IllegalArgumentException("the model's context is " + c.contextLength()
                    + " positions; the measurement decodes " + TOKENS);
        }
        CacheConfig cc = new CacheConfig(pageTokens, -1, -1, Double.POSITIVE_INFINITY);
        int budgets = BUDGETS.size();
        int oversamples = OVERSAMPLES.size();
        double[][] sum = new double[budgets][oversamples];
        double[][] scored = new double[budgets][oversamples];
        double[] random = new double[budgets];
        long[] steps = new long[1];
        try (TieredKvCache cache = cc.build(c, TOKENS); Sequence seq = cache.newSequence()) {
            int maxPages = cache.pagesPerLayer();
            SparseAttention[][] drivers = new SparseAttention[budgets][oversamples];
            try {
                for (int b = 0; b < budgets; b++) {
                    for (int o = 0; o < oversamples; o++) {
                        drivers[b][o] = SparseAttention.builder(cache.kernel(), c.heads(), c.headDim(), maxPages)
                                .budgetTokens(BUDGETS.get(b)).oversample(OVERSAMPLES.get(o)).parallelLanes(false)
                                .build();
                    }
                }
                float[] out = new float[c.qWidth()];
                int[] middle = new int[maxPages];
                SplittableRandom rnd = new SplittableRandom(RANDOM_SEED);
                LlamaDecoder[] decoder = new LlamaDecoder[1];
                AttentionObserver observer = (position, layer, pages, masses, count) -> {
                    if (position < FROM) {
                        return;
                    }
                    // Dense: every page, in order, so masses[p] is page p's mass.
                    if (count != seq.pageCount(layer)) {
                        throw new IllegalStateException("dense attention read " + count + " pages of layer " + layer
                                + " at position " + position + ", the layer holds " + seq.pageCount(layer));
                    }
                    float[] q = decoder[0].lastQuery();
                    for (int b = 0; b < budgets; b++) {
                        for (int o = 0; o < oversamples; o++) {
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
                }
            } finally {
                for (SparseAttention[] row : drivers) {
                    for (SparseAttention a : row) {
                        if (a != null) {
                            a.close();
                        }
                    }
                }
            }
        }
        for (int b = 0; b < budgets; b++) {
            random[b] /= steps[0];
            for (int o = 0; o < oversamples; o++) {
                sum[b][o] /= steps[0];
                scored[b][o] /= steps[0];
            }
        }
        return new Captured(pageTokens, sum, random, scored, steps[0]);
    }

    /**
     * The table's header, in Markdown: page tokens, budget, random, then flat and each two-level
     * oversample.
     *
     * @return two lines, each ending in a line break
     */
    public static String header() {
        StringBuilder h = new StringBuilder("| P | B | random |");
        StringBuilder align = new StringBuilder("|---:|---:|---:|");
        for (int o = 0; o < OVERSAMPLES.size(); o++) {
            int n = OVERSAMPLES.get(o);
            h.append(n == 0 ? " flat (N=0) |" : o == 1 ? " two-level N=" + n + " |" : " N=" + n + " |");
            align.append("---:|");
        }
        return h.append('\n').append(align).append('\n').toString();
    }

    /**
     * The table's rows of one page size, in Markdown: per budget, the random reference's mass, and
     * per oversample the mass captured with the page bounds scored per layer-step in parentheses.
     *
     * @param r the figures of one page size
     * @return one line per budget, each ending in a line break
     */
    public static String lines(Captured r) {
        StringBuilder s = new StringBuilder();
        for (int b = 0; b < BUDGETS.size(); b++) {
            s.append(String.format(Locale.ROOT, "| %d | %d | %.3f |", r.pageTokens(), BUDGETS.get(b), r.random(b)));
            for (int o = 0; o < OVERSAMPLES.size(); o++) {
                s.append(String.format(Locale.ROOT, " %.3f (%.1f) |", r.selection(b, o), r.scored(b, o)));
            }
            s.append('\n');
        }
        return s.toString();
    }
}
