package org.kvplace.core.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import static org.junit.jupiter.api.Assertions.assertTrue;


/**
 * How much of the true attention mass flat and two-level page selection capture, on keys that are
 * locally correlated as real keys are, and on keys where they are not (the control that shows the
 * measure can tell the two selections apart).
 *
 * <p>The mass is the test's own: exact softmax attention of each query head over every token, in
 * double precision from the keys the test appended, summed over the tokens of the selected pages
 * and averaged over query heads and queries. The selections come from {@link SparseAttention} on a
 * {@link TieredKvCache} holding the same keys (F32, so the cache holds exactly these values).
 *
 * <p>With {@code -Dkvplace.twolevel.report=FILE} the figures are written to FILE (the table in
 * docs/decode.md); nothing is printed.
 */
class TwoLevelQualityTest {

    private static final int QUERY_HEADS = 8;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 64;
    private static final int PAGE_TOKENS = 16;
    private static final int TOKENS = 8192; // 512 pages, 32 groups of 16 pages
    private static final int TOPICS = 6;
    private static final int SEGMENTS = 3;
    private static final int QUERIES = 12;

    /** How the keys are made. */
    enum Keys {
        /**
         * Per KV head, a mean that drifts as a random walk from token to token, plus small i.i.d.
         * noise; {@link #TOPICS} segments of 64 to 256 consecutive tokens also carry a topic
         * direction, which a query aligns with.
         */
        CORRELATED,
        /**
         * The control: i.i.d. keys, and the topic tokens are as many as in {@link #CORRELATED} but
         * scattered one by one over the whole context. Every group then holds some, so group
         * bounds cannot tell groups apart, while page bounds still find the pages that hold them.
         */
        SCATTERED
    }

    /** Mean captured mass of flat, two-level and a random choice of as many middle pages as flat. */
    record Captured(double flat, double twoLevel, double random, double twoLevelScored) {}

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

    // Per-component scales of the keys and the queries' noise, chosen so that a topic query's
    // attention is neither spread evenly nor on a handful of tokens: flat selection catches 0.6 to
    // 0.95 of it on correlated keys (the drift, 0.03 per token, moves each component's mean by about
    // 0.5 over a 256-token group and by about 2.7 over the context).
    private static final double DRIFT = 0.03;
    private static final double NOISE = 0.3;
    private static final double IID = 1.0;
    private static final double TOPIC = 3.0;
    private static final double QUERY_NOISE = 0.5;

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

    /** Exact attention probabilities per query head and token, in double precision. */
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
     * Mean captured mass over {@link #QUERIES} queries, for every budget and oversample, on one
     * set of keys: {@code [budget][oversample]}.
     */
    static Captured[][] measure(Keys kind, double alignment, long seed) {
        Data data = data(kind, seed);
        ModelShape shape = new ModelShape(1, KV_HEADS, HEAD_DIM, TOKENS);
        int pages = TOKENS / PAGE_TOKENS;
        double[] flat = new double[BUDGETS.length];
        double[] random = new double[BUDGETS.length];
        double[][] twoLevel = new double[BUDGETS.length][OVERSAMPLES.length];
        double[][] scored = new double[BUDGETS.length][OVERSAMPLES.length];
        SparseAttention[] flatDrivers = new SparseAttention[BUDGETS.length];
        SparseAttention[][] twoLevelDrivers = new SparseAttention[BUDGETS.length][OVERSAMPLES.length];
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(PAGE_TOKENS)
                .fastTierPages(pages).slowTierPages(0).kernel(Kernels.scalar()).build();
                Sequence seq = cache.newSequence()) {
            for (int b = 0; b < BUDGETS.length; b++) {
                flatDrivers[b] = SparseAttention.builder(Kernels.scalar(), QUERY_HEADS, HEAD_DIM, cache.pagesPerLayer())
                        .budgetTokens(BUDGETS[b]).parallelLanes(false).build();
                for (int o = 0; o < OVERSAMPLES.length; o++) {
                    twoLevelDrivers[b][o] = SparseAttention.builder(Kernels.scalar(), QUERY_HEADS, HEAD_DIM, cache.pagesPerLayer())
                            .budgetTokens(BUDGETS[b]).parallelLanes(false).oversample(OVERSAMPLES[o]).build();
                }
            }
            float[] v = new float[KV_HEADS * HEAD_DIM];
            for (float[] k : data.keys()) {
                seq.append(0, k, v);
            }
            SplittableRandom queries = new SplittableRandom(seed * 31 + 1);
            SplittableRandom rnd = new SplittableRandom(seed * 31 + 2);
            float[] out = new float[QUERY_HEADS * HEAD_DIM];
            int[] chosen = new int[pages];
            int[] middle = new int[pages];
            for (int s = 0; s < QUERIES; s++) {
                float[] q = query(data, s, alignment, queries);
                double[][] p = attention(data.keys(), q);
                for (int b = 0; b < BUDGETS.length; b++) {
                    SparseAttention f = flatDrivers[b];
                    seq.attend(0, q, out, f);
                    flat[b] += mass(p, selected(f, chosen), f.selectedCount());
                    for (int o = 0; o < OVERSAMPLES.length; o++) {
                        SparseAttention t = twoLevelDrivers[b][o];
                        seq.attend(0, q, out, t);
                        twoLevel[b][o] += mass(p, selected(t, chosen), t.selectedCount());
                        scored[b][o] += t.scoredPages();
                    }
                    // Sink, newest and as many random middle pages as flat chose.
                    int k = f.selectedCount() - 2;
                    for (int i = 0; i < pages - 2; i++) {
                        middle[i] = i + 1;
                    }
                    chosen[0] = 0;
                    chosen[1] = pages - 1;
                    for (int i = 0; i < k; i++) {
                        int j = i + rnd.nextInt(pages - 2 - i);
                        int x = middle[i];
                        middle[i] = middle[j];
                        middle[j] = x;
                        chosen[i + 2] = middle[i];
                    }
                    random[b] += mass(p, chosen, k + 2);
                }
            }
        } finally {
            for (int b = 0; b < BUDGETS.length; b++) {
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
        Captured[][] r = new Captured[BUDGETS.length][OVERSAMPLES.length];
        for (int b = 0; b < BUDGETS.length; b++) {
            for (int o = 0; o < OVERSAMPLES.length; o++) {
                r[b][o] = new Captured(flat[b] / QUERIES, twoLevel[b][o] / QUERIES, random[b] / QUERIES,
                        scored[b][o] / QUERIES);
            }
        }
        return r;
    }

    private static int[] selected(SparseAttention a, int[] into) {
        for (int i = 0; i < a.selectedCount(); i++) {
            into[i] = a.selectedPage(i);
        }
        return into;
    }

    private static final long[] SEEDS = {1, 2, 3};
    private static final int[] BUDGETS = {512, 1024};
    private static final int[] OVERSAMPLES = {1, 2, 4};

    /** {@link #measure} averaged over {@link #SEEDS}. */
    private static Captured[][] mean(Keys kind, double alignment) {
        double[][][] sum = new double[BUDGETS.length][OVERSAMPLES.length][4];
        for (long seed : SEEDS) {
            Captured[][] r = measure(kind, alignment, seed);
            for (int b = 0; b < BUDGETS.length; b++) {
                for (int o = 0; o < OVERSAMPLES.length; o++) {
                    Captured c = r[b][o];
                    sum[b][o][0] += c.flat();
                    sum[b][o][1] += c.twoLevel();
                    sum[b][o][2] += c.random();
                    sum[b][o][3] += c.twoLevelScored();
                }
            }
        }
        Captured[][] m = new Captured[BUDGETS.length][OVERSAMPLES.length];
        int n = SEEDS.length;
        for (int b = 0; b < BUDGETS.length; b++) {
            for (int o = 0; o < OVERSAMPLES.length; o++) {
                double[] x = sum[b][o];
                m[b][o] = new Captured(x[0] / n, x[1] / n, x[2] / n, x[3] / n);
            }
        }
        return m;
    }

    /** A kind of keys and how strongly the queries align with their topic. */
    private record Setting(Keys keys, double alignment) {}

    private static final Setting[] SETTINGS = {
        new Setting(Keys.CORRELATED, 1.5), new Setting(Keys.CORRELATED, 3.0), new Setting(Keys.SCATTERED, 3.0)};

    @Test
    void shouldKeepNearlyFlatSelectionsMassOnLocallyCorrelatedKeys() throws IOException {
        StringBuilder report = new StringBuilder();
        Captured[][][] results = new Captured[SETTINGS.length][][];
        for (int k = 0; k < SETTINGS.length; k++) {
            results[k] = mean(SETTINGS[k].keys(), SETTINGS[k].alignment());
            for (int b = 0; b < BUDGETS.length; b++) {
                for (int o = 0; o < OVERSAMPLES.length; o++) {
                    Captured c = results[k][b][o];
                    report.append(String.format(Locale.ROOT,
                            "| %s | %.1f | %d | %d | %.3f | %.3f | %.3f | %.0f of %d |%n",
                            SETTINGS[k].keys().name().toLowerCase(Locale.ROOT), SETTINGS[k].alignment(),
                            BUDGETS[b], OVERSAMPLES[o], c.flat(), c.twoLevel(), c.random(), c.twoLevelScored(),
                            TOKENS / PAGE_TOKENS));
                }
            }
        }
        String file = System.getProperty("kvplace.twolevel.report");
        if (file != null && !file.isBlank()) {
            Files.writeString(Path.of(file), report.toString());
        }
        for (int k = 0; k < SETTINGS.length; k++) {
            for (int b = 0; b < BUDGETS.length; b++) {
                for (int o = 0; o < OVERSAMPLES.length; o++) {
                    Captured c = results[k][b][o];
                    String at = SETTINGS[k] + ", budget " + BUDGETS[b] + ", oversample " + OVERSAMPLES[o] + ": " + c;
                    // The measure discriminates: page bounds beat a random choice of as many pages by
                    // far (measured: by 0.24 of the mass at least, on the scattered keys).
                    assertTrue(c.flat() > c.random() + 0.15, at);
                    double ratio = c.twoLevel() / c.flat();
                    assertTrue(ratio <= 1 + 1e-9, at + ": two-level above flat");
                    if (SETTINGS[k].keys() == Keys.CORRELATED) {
                        // Measured two-level / flat on correlated keys (docs/decode.md), lowest over both
                        // alignments and budgets: 0.78 at oversample 1, 0.90 at 2, 0.95 at 4. The
                        // thresholds leave about 0.05 for other seeds and kernels' rounding; a first
                        // level that kept the wrong groups would fall to the scattered figures.
                        double least = switch (OVERSAMPLES[o]) {
                            case 1 -> 0.70;
                            case 2 -> 0.85;
                            default -> 0.90;
                        };
                        assertTrue(ratio >= least, at + ": two-level/flat " + ratio + " < " + least);
                    } else if (OVERSAMPLES[o] <= 2) {
                        // The control: without local correlation group bounds cannot rank groups, and
                        // two-level keeps clearly less (measured 0.52 to 0.71 of flat, below every
                        // correlated figure), so a measure that could not see a worse selection fails here.
                        assertTrue(ratio <= 0.80, at + ": two-level/flat " + ratio + " on scattered keys");
                    }
                }
            }
        }
    }
}
