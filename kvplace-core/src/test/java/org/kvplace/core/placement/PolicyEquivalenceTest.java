package org.kvplace.core.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.trace.TraceStep;

/**
 * The fast forms of the online policies against their first forms, {@link ReactivePolicy} (grouped
 * LRU) against {@link ReferenceReactivePolicy} (one log entry per touch), {@link ArcPolicy} (lists
 * as bit sets and logs of word entries) against {@link ReferenceArcPolicy} (linked lists) and {@link BalancePolicy}
 * against {@link ReferenceBalancePolicy}, and the oracle, {@link OraclePolicy} (scores looked up
 * from the window's transposed bits, the best taken through a histogram) against {@link
 * ReferenceOraclePolicy} (added read by read, quickselect; its promotions compared as a set): the same moves, in the same order, at every call, on random traces that keep part of
 * each layer's read set from step to step, with and without a live driver's corrections.
 */
class PolicyEquivalenceTest {

    @ParameterizedTest
    @CsvSource({
        // policy, layers, prompt, decode, capacity in units, stable share, corrections
        "reactive, 1, 40, 300, 20, 0.7, false",
        "reactive, 1, 200, 400, 120, 0.5, false",
        "reactive, 3, 150, 300, 200, 0.6, false",
        "reactive, 4, 700, 150, 900, 0.8, false",
        "reactive, 4, 700, 150, 2400, 0.3, false",
        "reactive, 2, 64, 200, 400, 0.5, false",     // everything fits: no eviction
        "reactive, 5, 300, 120, 600, 0.9, false",
        "reactive, 3, 150, 300, 200, 0.6, true",
        "reactive, 2, 500, 200, 300, 0.5, true",
        "arc, 1, 40, 300, 20, 0.7, false",
        "arc, 1, 200, 400, 120, 0.5, false",
        "arc, 3, 150, 300, 200, 0.6, false",
        "arc, 4, 700, 150, 900, 0.8, false",
        "arc, 4, 700, 150, 2400, 0.3, false",
        "arc, 2, 64, 200, 400, 0.5, false",          // everything fits: no eviction
        "arc, 5, 300, 120, 600, 0.9, false",
        "arc, 2, 300, 300, 150, 0.2, false",
        "arc, 3, 150, 300, 200, 0.6, true",
        "arc, 2, 500, 200, 300, 0.5, true",
        "balance, 1, 200, 400, 120, 0.5, false",
        "balance, 3, 150, 300, 200, 0.6, false",
        "balance, 4, 700, 150, 900, 0.8, false",
        "balance, 4, 700, 150, 2400, 0.3, false",
        "balance, 5, 300, 120, 600, 0.9, false",
        "balance, 3, 150, 300, 200, 0.6, true",
        "balance, 2, 500, 200, 300, 0.5, true",
    })
    void shouldPlanTheSameMovesAsTheFirstForm(String policy, int layers, int prompt, int decode, int capacity,
            double stable, boolean corrections) {
        for (long seed = 1; seed <= 4; seed++) {
            replay(policy, layers, prompt, decode, capacity, stable, corrections, seed);
        }
    }

    private static void replay(String policy, int layers, int prompt, int decode, int capacity, double stable,
            boolean corrections, long seed) {
        int maxUnits = prompt + decode;
        CostModel cost = new CostModel(new HardwareProfile("toy", 1000, 100L * layers + capacity, 100, 100, 150,
                1_000_000), new ModelProfile("toy", layers, layers, 100, 1));
        PlacementProtocol a = new PlacementProtocol(fastForm(policy, cost), layers, maxUnits, 1, capacity,
                !corrections);
        PlacementProtocol b = new PlacementProtocol(firstForm(policy, cost), layers, maxUnits, 1, capacity,
                !corrections);
        for (int u = 0; u < prompt; u++) {
            for (int l = 0; l < layers; l++) {
                assertEquals(b.placeNew(l, u, Lookahead.NONE), a.placeNew(l, u, Lookahead.NONE), "prompt u=" + u);
                assertSamePlan(b.plan(), a.plan(), "prompt u=" + u + " l=" + l);
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean[][] keep = new boolean[layers][maxUnits];
        TraceStep st = new TraceStep(maxUnits, false);
        long moves = 0;
        for (int n = prompt; n < maxUnits; n++) {
            for (int l = 0; l < layers; l++) {
                String at = "seed=" + seed + " n=" + n + " l=" + l;
                assertEquals(b.placeNew(l, n, Lookahead.NONE), a.placeNew(l, n, Lookahead.NONE), at);
                assertSamePlan(b.plan(), a.plan(), at + " placeNew");
                st.reset(n, l, n);
                for (int u = 0; u < n; u++) {
                    if (rnd.nextDouble() >= stable) {
                        keep[l][u] = rnd.nextDouble() < 0.35;
                    }
                    if (keep[l][u] || u < 2 || u >= n - 4) {
                        st.add(u);
                    }
                }
                a.afterReads(st, Lookahead.NONE);
                b.afterReads(st, Lookahead.NONE);
                assertSamePlan(b.plan(), a.plan(), at);
                moves += a.plan().promotions() + a.plan().demotions();
                if (corrections && rnd.nextInt(16) == 0) {
                    int cl = rnd.nextInt(layers);
                    int cu = rnd.nextInt(n);
                    boolean fast = rnd.nextBoolean();
                    a.correct(cl, cu, fast);
                    b.correct(cl, cu, fast);
                    if (rnd.nextInt(3) == 0) { // and straight back, before the next step
                        a.correct(cl, cu, !fast);
                        b.correct(cl, cu, !fast);
                    }
                }
                for (int cl = 0; cl < layers; cl++) {
                    assertTrue(java.util.Arrays.equals(b.state().fastBits(cl), a.state().fastBits(cl)), at);
                }
            }
        }
        assertTrue(moves > 0 || capacity >= layers * maxUnits, "the trace moved nothing");
    }

    @ParameterizedTest
    @CsvSource({
        // window, fraction, layers, prompt, decode, capacity in units, stable share
        "1, 1.0, 2, 100, 120, 80, 0.6",
        "5, 0.6, 2, 150, 150, 120, 0.5",
        "8, 1.0, 3, 200, 100, 300, 0.8",
        "16, 0.85, 2, 300, 120, 250, 0.7",
        "17, 0.7, 2, 130, 130, 90, 0.5",
        "24, 0.7, 3, 200, 100, 250, 0.6",
        "32, 0.95, 1, 400, 120, 150, 0.8",
        "40, 0.5, 2, 150, 150, 100, 0.7",
    })
    void oracleShouldPlanTheSameMovesAsItsFirstForm(int window, double fraction, int layers, int prompt, int decode,
            int capacity, double stable) {
        for (long seed = 1; seed <= 3; seed++) {
            int maxUnits = prompt + decode;
            // the whole trace first: the oracle reads the window ahead of every step
            SplittableRandom rnd = new SplittableRandom(seed);
            boolean[][] keep = new boolean[layers][maxUnits];
            long[][][] reads = new long[decode][layers][];
            for (int n = prompt; n < maxUnits; n++) {
                for (int l = 0; l < layers; l++) {
                    long[] r = new long[(maxUnits >>> 6) + 1];
                    for (int u = 0; u < n; u++) {
                        if (rnd.nextDouble() >= stable) {
                            keep[l][u] = rnd.nextDouble() < 0.35;
                        }
                        if (keep[l][u] || u < 2 || u >= n - 4) {
                            r[u >>> 6] |= 1L << u;
                        }
                    }
                    reads[n - prompt][l] = r;
                }
            }
            PlacementProtocol a = new PlacementProtocol(new OraclePolicy(window, fraction), layers, maxUnits, 1,
                    capacity, true);
            PlacementProtocol b = new PlacementProtocol(new ReferenceOraclePolicy(window, fraction), layers, maxUnits,
                    1, capacity, true);
            for (int u = 0; u < prompt; u++) {
                for (int l = 0; l < layers; l++) {
                    assertEquals(b.placeNew(l, u, Lookahead.NONE), a.placeNew(l, u, Lookahead.NONE), "prompt u=" + u);
                    assertSameMoves(b.plan(), a.plan(), "prompt u=" + u + " l=" + l);
                }
            }
            TraceStep st = new TraceStep(maxUnits, false);
            long moves = 0;
            for (int n = prompt; n < maxUnits; n++) {
                int i = n - prompt;
                Lookahead future = (layer, ahead) -> i + ahead < decode ? reads[i + ahead][layer] : null;
                for (int l = 0; l < layers; l++) {
                    String at = "seed=" + seed + " n=" + n + " l=" + l;
                    assertEquals(b.placeNew(l, n, future), a.placeNew(l, n, future), at);
                    assertSameMoves(b.plan(), a.plan(), at + " placeNew");
                    st.reset(n, l, n);
                    long[] r = reads[i][l];
                    for (int u = 0; u < n; u++) {
                        if ((r[u >>> 6] & (1L << u)) != 0) {
                            st.add(u);
                        }
                    }
                    a.afterReads(st, future);
                    b.afterReads(st, future);
                    assertSameMoves(b.plan(), a.plan(), at);
                    moves += a.plan().promotions();
                }
            }
            assertTrue(moves > 0, "the trace promoted nothing");
        }
    }

    private static PlacementPolicy fastForm(String policy, CostModel cost) {
        return switch (policy) {
            case "reactive" -> new ReactivePolicy();
            case "arc" -> new ArcPolicy();
            case "balance" -> new BalancePolicy(cost);
            default -> throw new IllegalArgumentException("no first form kept for " + policy);
        };
    }

    private static PlacementPolicy firstForm(String policy, CostModel cost) {
        return switch (policy) {
            case "reactive" -> new ReferenceReactivePolicy();
            case "arc" -> new ReferenceArcPolicy();
            case "balance" -> new ReferenceBalancePolicy(cost);
            default -> throw new IllegalArgumentException("no first form kept for " + policy);
        };
    }

    // The same demotions in the same order and the same promotions in any order (the oracle takes
    // its best candidates by a selection that leaves them in another order than its first form).
    private static void assertSameMoves(MigrationPlan expected, MigrationPlan actual, String at) {
        assertEquals(expected.promotions(), actual.promotions(), at + " promotions");
        assertEquals(expected.demotions(), actual.demotions(), at + " demotions");
        long[] e = new long[expected.promotions()];
        long[] g = new long[actual.promotions()];
        for (int i = 0; i < e.length; i++) {
            e[i] = (long) expected.promotedLayer(i) << 32 | expected.promotedUnit(i);
            g[i] = (long) actual.promotedLayer(i) << 32 | actual.promotedUnit(i);
        }
        java.util.Arrays.sort(e);
        java.util.Arrays.sort(g);
        org.junit.jupiter.api.Assertions.assertArrayEquals(e, g, at + " promotions");
        for (int i = 0; i < expected.demotions(); i++) {
            assertEquals(expected.demotedLayer(i), actual.demotedLayer(i), at + " demotion " + i);
            assertEquals(expected.demotedUnit(i), actual.demotedUnit(i), at + " demotion " + i);
        }
    }

    private static void assertSamePlan(MigrationPlan expected, MigrationPlan actual, String at) {
        assertEquals(expected.promotions(), actual.promotions(), at + " promotions");
        assertEquals(expected.demotions(), actual.demotions(), at + " demotions");
        for (int i = 0; i < expected.promotions(); i++) {
            assertEquals(expected.promotedLayer(i), actual.promotedLayer(i), at + " promotion " + i);
            assertEquals(expected.promotedUnit(i), actual.promotedUnit(i), at + " promotion " + i);
        }
        for (int i = 0; i < expected.demotions(); i++) {
            assertEquals(expected.demotedLayer(i), actual.demotedLayer(i), at + " demotion " + i);
            assertEquals(expected.demotedUnit(i), actual.demotedUnit(i), at + " demotion " + i);
        }
    }
}
