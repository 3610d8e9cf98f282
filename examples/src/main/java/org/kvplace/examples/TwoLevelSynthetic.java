package org.kvplace.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.kernel.Kernels;

/**
 * How much of the true attention mass flat and two-level page selection capture, on synthetic keys
 * that are locally correlated as real keys are, and on keys where they are not (the control that
 * shows the measure can tell the two selections apart): the synthetic table of docs/decode.md.
 *
 * <p>The selections are the code measured: {@link SparseAttention} drivers (flat, and two-level at
 * each oversampling factor) on a {@link TieredKvCache} holding the keys (F32, so the cache holds
 * exactly these values). The mass is this class's own: exact softmax attention of each query head
 * over every token, in double precision from the keys appended, summed over the tokens of the
 * selected pages and averaged over query heads and queries. A random choice of as many middle
 * pages as flat selection reads (with the sink and the newest page) is the reference.
 *
 * <p>Every figure is fixed by the parameters below (seeds included), so a run reproduces the
 * table exactly. One run takes a few seconds on one core.
 */
final class TwoLevelSynthetic {

    static final int QUERY_HEADS = 8;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = 64;
    static final int PAGE_TOKENS = 16;
    static final int TOKENS = 8192; // 512 pages, 32 groups of 16 pages
    static final int PAGES = TOKENS / PAGE_TOKENS;
    private static final int TOPICS = 6;
    private static final int SEGMENTS = 3;
    static final int QUERIES = 12;

    /** The sets of keys each setting is averaged over, as seeds. */
    static final List<Long> SEEDS = List.of(1L, 2L, 3L);
    /** Token budgets measured. */
    static final List<Integer> BUDGETS = List.of(512, 1024);
    /** Two-level oversampling factors measured (flat selection is measured beside each). */
    static final List<Integer> OVERSAMPLES = List.of(1, 2, 4);

    // Per-component scales of the keys and the queries' noise, chosen so that a topic query's
    // attention is neither spread evenly nor on a handful of tokens: flat selection catches 0.6 to
    // 0.95 of it on correlated keys (the drift, 0.03 per token, moves each component's mean by about
    // 0.5 over a 256-token group and by about 2.7 over the context).
    private static final double DRIFT = 0.03;
    private static final double NOISE = 0.3;
    private static final double IID = 1.0;
    private static final double TOPIC = 3.0;
    private static final double QUERY_NOISE = 0.5;

    private TwoLevelSynthetic() {}

    /** How the keys are made. */
    enum Keys {
        /**
         * Per KV head, a mean that drifts as a random walk from token to token, plus small i.i.d.
         * noise; {@link #TOPICS} topics own {@link #SEGMENTS} segments each of 32 to 160
         * consecutive tokens, whose keys also carry the topic's direction, which a query aligns with.
         */
        CORRELATED,
        /**
         * The control: i.i.d. keys, and the topic tokens are as many as in {@link #CORRELATED} but
         * scattered one by one over the whole context. Every group then holds some, so group
         * bounds cannot tell groups apart, while page bounds still find the pages that hold them.
         */
        SCATTERED
    }

    /**
     * A kind of keys and how strongly the queries align with their topic.
     *
     * @param keys how the keys are made
     * @param alignment a query's component along its topic, in units of {@code sqrt(HEAD_DIM)}
     */
    record Setting(Keys keys, double alignment) {}

    /** The settings of the table, in its order. */
    static final List<Setting> SETTINGS = List.of(new Setting(Keys.CORRELATED, 1.5), new Setting(Keys.CORRELATED, 3.0),
            new Setting(Keys.SCATTERED, 3.0));

    /**
     * Mean captured mass of flat, two-level and a random choice of as many middle pages as flat.
     *
     * @param flat mass flat selection captured
     * @param twoLevel mass two-level selection captured
     * @param random mass of the random reference
     * @param twoLevelScored page bounds two-level selection scored per query
     */
    record Captured(double flat, double twoLevel, double random, double twoLevelScored) {}

    /**
     * One row of the table.
     *
     * @param setting the keys and queries
     * @param budget tokens read per query at most
     * @param oversample the two-level oversampling factor
     * @param captured the figures, averaged over {@link #SEEDS}
     */
    record Row(Setting setting, int budget, int oversample, Captured captured) {}

    /** The keys appended and the queries asked, per KV head and topic. */
    private record Data(float[][] keys, float[][] topics, boolean[][] topicTokens) {}

    private static Data data(Keys kind, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int width = KV_HEADS * HEAD_DIM;
        // Topic directions: unit vectors per topic and KV head (concatenated over heads).
        float[][] topics = new float[TOPICS][width];
        for (float[] t : topics) {
            for (int h = 0; h < KV_HEADS; h++) {
                double norm = 0;
                for (int d = 0; d < HEAD_DIM; d++) {
                    t[h * HEAD_DIM + d] = (float) rnd.nextGaussian();
                    norm += (double) t[h * HEAD_DIM + d] * t[h * HEAD_DIM + d];
                }
                for (int d = 0; d < HEAD_DIM; d++) {
                    t[h * HEAD_DIM + d] /= (float) Math.sqrt(norm);
                }
            }
        }
        // Which tokens carry which topic: segments (correlated) or as many single tokens scattered.
        boolean[][] topicTokens = new boolean[TOPICS][TOKENS];
        for (int j = 0; j < TOPICS; j++) {
            for (int segment = 0; segment < SEGMENTS; segment++) {
                int length = 32 + rnd.nextInt(129);
                if (kind == Keys.CORRELATED) {
                    int start = 64 + rnd.nextInt(TOKENS - 128 - length);
                    for (int t = start; t < start + length; t++) {
                        topicTokens[j][t] = true;
                    }
                    continue;
                }
                for (int placed = 0; placed < length; ) {
                    int t = 64 + rnd.nextInt(TOKENS - 128);
                    if (!topicTokens[j][t]) {
                        topicTokens[j][t] = true;
                        placed++;
                    }
                }
            }
        }
        float[][] keys = new float[TOKENS][width];
        double[] mean = new double[width];
        for (int t = 0; t < TOKENS; t++) {
            for (int i = 0; i < width; i++) {
                if (kind == Keys.CORRELATED) {
                    mean[i] += DRIFT * rnd.nextGaussian();
                    keys[t][i] = (float) (mean[i] + NOISE * rnd.nextGaussian());
                } else {
                    keys[t][i] = (float) (IID * rnd.nextGaussian());
                }
            }
            for (int j = 0; j < TOPICS; j++) {
                if (topicTokens[j][t]) {
                    for (int i = 0; i < width; i++) {
                        keys[t][i] += (float) (TOPIC * topics[j][i]);
                    }
                }
            }
        }
        return new Data(keys, topics, topicTokens);
    }

    /** Query {@code s}: every head aligned with topic {@code s % TOPICS} of its KV head, plus noise. */
    private static float[] query(Data data, int s, double alignment, SplittableRandom rnd) {
        float[] topic = data.topics()[s % TOPICS];
        float[] q = new float[QUERY_HEADS * HEAD_DIM];
        int group = QUERY_HEADS / KV_HEADS;
        for (int h = 0; h < QUERY_HEADS; h++) {
            int kv = h / group;
            for (int d = 0; d < HEAD_DIM; d++) {
                q[h * HEAD_DIM + d] = (float) (alignment * Math.sqrt(HEAD_DIM) * topic[kv * HEAD_DIM + d]
                        + QUERY_NOISE * rnd.nextGaussian());
            }
        }
        return q;
    }

    /**
     * Exact attention probabilities per query head and token, in double precision: the oracle,
     * computed from the keys as generated, independently of the cache and the kernels.
     */
    private static double[][] attention(float[][] keys, float[] q) {
        double[][] p = new double[QUERY_HEADS][TOKENS];
        int group = QUERY_HEADS / KV_HEADS;
        double scale = 1.0 / Math.sqrt(HEAD_DIM);
        for (int h = 0; h < QUERY_HEADS; h++) {
            int kv = h / group;
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < TOKENS; t++) {
                double s = 0;
                for (int d = 0; d < HEAD_DIM; d++) {
                    s += (double) q[h * HEAD_DIM + d] * keys[t][kv * HEAD_DIM + d];
                }
                p[h][t] = s * scale;
                max = Math.max(max, p[h][t]);
            }
            double sum = 0;
            for (int t = 0; t < TOKENS; t++) {
                p[h][t] = Math.exp(p[h][t] - max);
                sum += p[h][t];
            }
            for (int t = 0; t < TOKENS; t++) {
                p[h][t] /= sum;
            }
        }
        return p;
    }

    /** Mass of the pages given, averaged over query heads. */
    private static double mass(double[][] p, int[] pages, int count) {
        double m = 0;
        for (double[] head : p) {
            for (int i = 0; i < count; i++) {
                for (int t = pages[i] * PAGE_TOKENS; t < Math.min(TOKENS, (pages[i] + 1) * PAGE_TOKENS); t++) {
                    m += head[t];
                }
            }
        }
        return m / QUERY_HEADS;
    }

    /**
     * Mean captured mass over {@link #QUERIES} queries, for every budget and oversample, on one set
     * of keys.
     *
     * @param kind how the keys are made
     * @param alignment how strongly the queries align with their topic
     * @param seed the set of keys and queries
     * @return {@code [budget][oversample]}, indexed as {@link #BUDGETS} and {@link #OVERSAMPLES}
     */
    static Captured[][] measure(Keys kind, double alignment, long seed) {
        int budgets = BUDGETS.size();
        int oversamples = OVERSAMPLES.size();
        Data data = data(kind, seed);
        ModelShape shape = new ModelShape(1, KV_HEADS, HEAD_DIM, TOKENS);
        double[] flat = new double[budgets];
        double[] random = new double[budgets];
        double[][] twoLevel = new double[budgets][oversamples];
        double[][] scored = new double[budgets][oversamples];
        SparseAttention[] flatDrivers = new SparseAttention[budgets];
        SparseAttention[][] twoLevelDrivers = new SparseAttention[budgets][oversamples];
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(PAGE_TOKENS)
                .fastTierPages(PAGES).slowTierPages(0).kernel(Kernels.scalar()).build();
                Sequence seq = cache.newSequence()) {
            for (int b = 0; b < budgets; b++) {
                flatDrivers[b] = driver(cache, BUDGETS.get(b), 0);
                for (int o = 0; o < oversamples; o++) {
                    twoLevelDrivers[b][o] = driver(cache, BUDGETS.get(b), OVERSAMPLES.get(o));
                }
            }
            float[] v = new float[KV_HEADS * HEAD_DIM];
            for (float[] k : data.keys()) {
                seq.append(0, k, v);
            }
            SplittableRandom queries = new SplittableRandom(seed * 31 + 1);
            SplittableRandom rnd = new SplittableRandom(seed * 31 + 2);
            float[] out = new float[QUERY_HEADS * HEAD_DIM];
            int[] chosen = new int[PAGES];
            int[] middle = new int[PAGES];
            for (int s = 0; s < QUERIES; s++) {
                float[] q = query(data, s, alignment, queries);
                double[][] p = attention(data.keys(), q);
                for (int b = 0; b < budgets; b++) {
                    SparseAttention f = flatDrivers[b];
                    seq.attend(0, q, out, f);
                    flat[b] += mass(p, selected(f, chosen), f.selectedCount());
                    for (int o = 0; o < oversamples; o++) {
                        SparseAttention t = twoLevelDrivers[b][o];
                        seq.attend(0, q, out, t);
                        twoLevel[b][o] += mass(p, selected(t, chosen), t.selectedCount());
                        scored[b][o] += t.scoredPages();
                    }
                    // Sink, newest and as many random middle pages as flat chose.
                    int k = f.selectedCount() - 2;
                    for (int i = 0; i < PAGES - 2; i++) {
                        middle[i] = i + 1;
                    }
                    chosen[0] = 0;
                    chosen[1] = PAGES - 1;
                    for (int i = 0; i < k; i++) {
                        int j = i + rnd.nextInt(PAGES - 2 - i);
                        int x = middle[i];
                        middle[i] = middle[j];
                        middle[j] = x;
                        chosen[i + 2] = middle[i];
                    }
                    random[b] += mass(p, chosen, k + 2);
                }
            }
        } finally {
            for (int b = 0; b < budgets; b++) {
                if (flatDrivers[b] != null) {
                    flatDrivers[b].close();
                }
                for (SparseAttention t : twoLevelDrivers[b]) {
                    if (t != null) {
                        t.close();
                    }
                }
            }
        }
        Captured[][] r = new Captured[budgets][oversamples];
        for (int b = 0; b < budgets; b++) {
            for (int o = 0; o < oversamples; o++) {
                r[b][o] = new Captured(flat[b] / QUERIES, twoLevel[b][o] / QUERIES, random[b] / QUERIES,
                        scored[b][o] / QUERIES);
            }
        }
        return r;
    }

    /** A driver on the calling thread: flat for {@code oversample == 0}, else two-level. */
    private static SparseAttention driver(TieredKvCache cache, int budget, int oversample) {
        return SparseAttention.builder(Kernels.scalar(), QUERY_HEADS, HEAD_DIM, cache.pagesPerLayer())
                .budgetTokens(budget).oversample(oversample).parallelLanes(false).build();
    }

    private static int[] selected(SparseAttention a, int[] into) {
        for (int i = 0; i < a.selectedCount(); i++) {
            into[i] = a.selectedPage(i);
        }
        return into;
    }

    /**
     * {@link #measure} averaged over {@link #SEEDS}: the rows of one setting, by budget, then oversample.
     *
     * @param setting the keys and queries
     * @return {@code BUDGETS.size() * OVERSAMPLES.size()} rows
     */
    static List<Row> rows(Setting setting) {
        int budgets = BUDGETS.size();
        int oversamples = OVERSAMPLES.size();
        double[][][] sum = new double[budgets][oversamples][4];
        for (long seed : SEEDS) {
            Captured[][] r = measure(setting.keys(), setting.alignment(), seed);
            for (int b = 0; b < budgets; b++) {
                for (int o = 0; o < oversamples; o++) {
                    Captured c = r[b][o];
                    sum[b][o][0] += c.flat();
                    sum[b][o][1] += c.twoLevel();
                    sum[b][o][2] += c.random();
                    sum[b][o][3] += c.twoLevelScored();
                }
            }
        }
        List<Row> rows = new ArrayList<>(budgets * oversamples);
        int n = SEEDS.size();
        for (int b = 0; b < budgets; b++) {
            for (int o = 0; o < oversamples; o++) {
                double[] x = sum[b][o];
                rows.add(new Row(setting, BUDGETS.get(b), OVERSAMPLES.get(o),
                        new Captured(x[0] / n, x[1] / n, x[2] / n, x[3] / n)));
            }
        }
        return rows;
    }

    /** The table's header: column names and alignment, in Markdown. */
    static String header() {
        return "| keys | alignment | budget | N | flat | two-level | random | pages scored by two-level |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|\n";
    }

    /** One row of the table, in Markdown, with a line break. */
    static String line(Row r) {
        Captured c = r.captured();
        return String.format(Locale.ROOT, "| %s | %.1f | %d | %d | %.3f | %.3f | %.3f | %.0f of %d |\n",
                r.setting().keys().name().toLowerCase(Locale.ROOT), r.setting().alignment(), r.budget(),
                r.oversample(), c.flat(), c.twoLevel(), c.random(), c.twoLevelScored(), PAGES);
    }
}
