package org.kvplace.core.placement;

import org.junit.jupiter.api.Test;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.TraceStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


class PoliciesTest {

    private static TraceStep reads(int n, int layer, int units, int... ids) {
        TraceStep s = new TraceStep(64, false);
        s.reset(n, layer, units);
        for (int id : ids) {
            s.add(id);
        }
        return s;
    }

    private static long[] bits(int... ids) {
        long[] b = new long[2];
        for (int id : ids) {
            Bits.set(b, id);
        }
        return b;
    }

    private static void create(PlacementPolicy p, PlacementState st, int layer, int unit) {
        MigrationPlan plan = new MigrationPlan();
        boolean fast = p.placeNew(layer, unit, Lookahead.NONE, st, plan);
        st.apply(plan);
        st.create(layer, unit, fast);
    }

    @Test
    void staticShouldFillTheFastTierThenSpillAndNeverMove() {
        PlacementState st = new PlacementState(1, 8, 10, 25);
        StaticPolicy p = new StaticPolicy();
        p.start(st);
        for (int u = 0; u < 4; u++) {
            create(p, st, 0, u);
        }
        assertTrue(st.isFast(0, 0) && st.isFast(0, 1));
        assertFalse(st.isFast(0, 2) || st.isFast(0, 3));
        MigrationPlan plan = new MigrationPlan();
        p.plan(reads(4, 0, 4, 2, 3), Lookahead.NONE, st, plan);
        assertTrue(plan.isEmpty());
    }

    @Test
    void reactiveShouldPromoteMissesAndEvictTheLeastRecentlyUsed() {
        PlacementState st = new PlacementState(1, 8, 10, 20);
        ReactivePolicy p = new ReactivePolicy();
        p.start(st);
        for (int u = 0; u < 4; u++) {
            create(p, st, 0, u);  // 0, 1 fast; 2, 3 slow
        }
        MigrationPlan plan = new MigrationPlan();
        // read 1 and 2: 1 is touched, 2 misses; the LRU unit is 0, not read now: evict it
        p.plan(reads(4, 0, 4, 1, 2), Lookahead.NONE, st, plan);
        assertEquals(1, plan.promotions());
        assertEquals(2, plan.promotedUnit(0));
        assertEquals(1, plan.demotions());
        assertEquals(0, plan.demotedUnit(0));
        st.apply(plan);
        // read 0 and 3, both slow; LRU order now: 1, 2 (both read at the previous step)
        plan.clear();
        p.plan(reads(5, 0, 4, 0, 3), Lookahead.NONE, st, plan);
        assertEquals(2, plan.promotions());
        assertEquals(2, plan.demotions());
        assertEquals(1, plan.demotedUnit(0));
        assertEquals(2, plan.demotedUnit(1));
        st.apply(plan);
        assertTrue(st.isFast(0, 0) && st.isFast(0, 3));
    }

    @Test
    void reactiveShouldNotEvictUnitsReadAtTheSameStep() {
        PlacementState st = new PlacementState(1, 8, 10, 20);
        ReactivePolicy p = new ReactivePolicy();
        p.start(st);
        for (int u = 0; u < 3; u++) {
            create(p, st, 0, u);
        }
        MigrationPlan plan = new MigrationPlan();
        p.plan(reads(3, 0, 3, 0, 1, 2), Lookahead.NONE, st, plan);
        assertTrue(plan.isEmpty(), plan.toString());
    }

    @Test
    void pageShouldBringTheNextStepsPagesInAndEvictTheOldestUnneeded() {
        PlacementState st = new PlacementState(1, 8, 10, 30);
        PagePolicy p = new PagePolicy();
        assertEquals(16, p.granularityTokens());
        assertEquals(1, p.lookahead());
        p.start(st);
        for (int u = 0; u < 5; u++) {
            create(p, st, 0, u);  // 0,1,2 fast; 3,4 slow
        }
        long[] next = bits(0, 3, 4);
        Lookahead future = (layer, ahead) -> ahead == 1 ? next : null;
        MigrationPlan plan = new MigrationPlan();
        p.plan(reads(80, 0, 5, 0), future, st, plan);
        assertEquals(2, plan.promotions());
        assertEquals(3, plan.promotedUnit(0));
        assertEquals(4, plan.promotedUnit(1));
        assertEquals(2, plan.demotions());
        assertEquals(1, plan.demotedUnit(0));  // oldest not needed next step; 0 is needed
        assertEquals(2, plan.demotedUnit(1));
        st.apply(plan);
    }

    @Test
    void oracleShouldPromoteTheBestScoredFractionAndEvictOnlyUnitsOutsideTheWindow() {
        PlacementState st = new PlacementState(1, 8, 10, 30);
        OraclePolicy p = new OraclePolicy(3, 0.5);
        p.start(st);
        for (int u = 0; u < 6; u++) {
            create(p, st, 0, u);  // 0,1,2 fast; 3,4,5 slow
        }
        // scores: 5 -> 1 + 1/2 + 1/3, 4 -> 1/3, 3 -> 1/2; unit 0 read in the window, 1 and 2 not
        long[][] w = {bits(0, 5), bits(3, 5), bits(4, 5)};
        Lookahead future = (layer, ahead) -> ahead <= 3 ? w[ahead - 1] : null;
        MigrationPlan plan = new MigrationPlan();
        p.plan(reads(6, 0, 6, 0), future, st, plan);
        // 3 candidates, R = 0.5 -> ceil(1.5) = 2 promotions: 5 and 3 (4 scores lowest)
        assertEquals(2, plan.promotions());
        assertEquals(java.util.Set.of(5, 3), java.util.Set.of(plan.promotedUnit(0), plan.promotedUnit(1)));
        assertEquals(2, plan.demotions());
        assertEquals(1, plan.demotedUnit(0));
        assertEquals(2, plan.demotedUnit(1));
        st.apply(plan);
    }

    @Test
    void oracleShouldScoreTheWholeWindowAfterAGapOrALookaheadThatShrankByMoreThanOne() {
        long[][] onlyFive = {bits(5), bits(5), bits(5)};
        // after a gap (positions 6, then 8): fresh scores 4 -> 1 + 1/2 + 1/3, 5 -> 1; patterns slid
        // as if from position 7 would give 4 -> 1/3, 5 -> 1 + 1/2
        long[][] gap = {bits(4, 5), bits(4), bits(4)};
        assertEquals(4, promotedAfter(onlyFive, 6, gap, 3, 8));
        // a window of 3 offsets, then of 1 (positions 7, 8): fresh 4 and 5 score 1 (the lower id
        // wins); slid, 5 would keep 1 + 1/2 from the earlier window
        long[][] shrunk = {bits(4, 5)};
        assertEquals(4, promotedAfter(onlyFive, 7, shrunk, 1, 8));
    }

    // The one unit an oracle (Wn 3, R 0.5) promotes at `second` after planning `first` at
    // `firstPosition` (plan not applied); units 0-2 fast, 3-5 slow, 4 and 5 the candidates.
    private static int promotedAfter(long[][] first, int firstPosition, long[][] second, int secondSeen,
            int secondPosition) {
        PlacementState st = new PlacementState(1, 8, 10, 30);
        OraclePolicy p = new OraclePolicy(3, 0.5);
        p.start(st);
        for (int u = 0; u < 6; u++) {
            create(p, st, 0, u);
        }
        p.plan(reads(firstPosition, 0, 6, 0), (layer, ahead) -> ahead <= 3 ? first[ahead - 1] : null, st,
                new MigrationPlan());
        MigrationPlan plan = new MigrationPlan();
        p.plan(reads(secondPosition, 0, 6, 0), (layer, ahead) -> ahead <= secondSeen ? second[ahead - 1] : null, st,
                plan);
        assertEquals(1, plan.promotions());
        return plan.promotedUnit(0);
    }

    @Test
    void oracleShouldStopWhenNothingOutsideTheWindowCanBeEvicted() {
        PlacementState st = new PlacementState(1, 8, 10, 20);
        OraclePolicy p = new OraclePolicy(1, 1.0);
        p.start(st);
        for (int u = 0; u < 3; u++) {
            create(p, st, 0, u);
        }
        long[] next = bits(0, 1, 2);
        MigrationPlan plan = new MigrationPlan();
        p.plan(reads(3, 0, 3, 0), (l, k) -> k == 1 ? next : null, st, plan);
        assertTrue(plan.isEmpty(), plan.toString());
    }

    @Test
    void placementStateShouldRejectImpossibleMovesAndOverflow() {
        PlacementState st = new PlacementState(1, 8, 10, 20);
        st.create(0, 0, true);
        st.create(0, 1, true);
        st.create(0, 2, false);
        assertThrows(IllegalStateException.class, () -> st.create(0, 3, true));
        assertThrows(IllegalArgumentException.class, () -> st.create(0, 5, false));
        MigrationPlan plan = new MigrationPlan();
        plan.promote(0, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> st.apply(plan));
        assertTrue(e.getMessage().contains("over capacity"), e.getMessage());
        MigrationPlan bad = new MigrationPlan();
        bad.demote(0, 2);
        assertThrows(IllegalStateException.class, () -> st.apply(bad));
        MigrationPlan absent = new MigrationPlan();
        absent.promote(0, 6);
        assertThrows(IllegalStateException.class, () -> st.apply(absent));
    }

    @Test
    void shouldBuildPoliciesByNameAndRejectUnknownOnes() {
        assertInstanceOf(StaticPolicy.class, Policies.byName("static"));
        assertInstanceOf(ReactivePolicy.class, Policies.byName("Reactive"));
        OraclePolicy o = (OraclePolicy) Policies.byName("oracle:16:0.75");
        assertEquals(16, o.window());
        assertEquals(0.75, o.fraction());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policies.byName("lfu"));
        assertTrue(e.getMessage().contains("lfu"));
        assertThrows(IllegalArgumentException.class, () -> Policies.byName("oracle:x:1"));
        assertThrows(IllegalArgumentException.class, () -> new OraclePolicy(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new OraclePolicy(4, 0));
    }

    @Test
    void selectTopShouldGatherTheLargestKeysAtTheEnd() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        for (int n : new int[] {1, 2, 7, 100, 1000}) {
            for (int top : new int[] {1, n / 2, n}) {
                if (top < 1) {
                    continue;
                }
                long[] a = r.longs(n, 0, 50).map(v -> v << 32 | r.nextInt(1 << 20)).toArray();
                long[] sorted = a.clone();
                java.util.Arrays.sort(sorted);
                OraclePolicy.selectTop(a, 0, n, top);
                long[] got = java.util.Arrays.copyOfRange(a, n - top, n);
                java.util.Arrays.sort(got);
                org.junit.jupiter.api.Assertions.assertArrayEquals(
                        java.util.Arrays.copyOfRange(sorted, n - top, n), got, "n=" + n + " top=" + top);
            }
        }
    }

    @Test
    void selectTopByScoreShouldGatherTheLargestKeys() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int[] hist = new int[1 << OraclePolicy.BUCKET_BITS];
        for (int n : new int[] {1, 2, 7, 100, 1000, 5000}) {
            for (int top : new int[] {1, 2, n / 3, n / 2, n - 1}) {
                if (top < 1 || top >= n) {
                    continue;
                }
                // oracle keys: a float score (sums of 1/k, many equal) above the complement of an id
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    float score = 0;
                    for (int k = 1; k <= 12; k++) {
                        score += r.nextInt(3) == 0 ? 1f / k : 0f;
                    }
                    if (score == 0) {
                        score = 1f / 12;
                    }
                    a[i] = (long) Float.floatToIntBits(score) << 32 | (~i & 0xFFFFFFFFL);
                }
                long[] sorted = a.clone();
                java.util.Arrays.sort(sorted);
                long[] before = a.clone();
                long[] spare = new long[n];
                int from = OraclePolicy.selectTopByScore(a, n, top, spare, hist);
                org.junit.jupiter.api.Assertions.assertTrue(from >= 0 && from + top <= n, "from " + from);
                long[] got = java.util.Arrays.copyOfRange(spare, from, from + top);
                java.util.Arrays.sort(got);
                org.junit.jupiter.api.Assertions.assertArrayEquals(
                        java.util.Arrays.copyOfRange(sorted, n - top, n), got, "n=" + n + " top=" + top);
                org.junit.jupiter.api.Assertions.assertArrayEquals(before, a, "the keys left as they were");
                org.junit.jupiter.api.Assertions.assertTrue(java.util.Arrays.stream(hist).allMatch(h -> h == 0));
            }
        }
    }

    @Test
    void bitsShouldSetRangesAndFindBitsAcrossWords() {
        long[] w = new long[3];
        Bits.setRange(w, 60, 130);
        assertEquals(70, Bits.count(w, 3));
        assertEquals(60, Bits.nextSet(w, 0, 192));
        assertEquals(130, Bits.nextClear(w, 60, 192));
        assertEquals(-1, Bits.nextSet(w, 130, 192));
        assertEquals(0, Bits.nextClear(w, 0, 192));
    }
}
