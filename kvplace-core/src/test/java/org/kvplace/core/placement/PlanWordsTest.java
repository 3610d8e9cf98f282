package org.kvplace.core.placement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Plans kept as words of moves: the indexed accessors list the moves as asked, and
 * {@link PlacementState#apply} (a word at a time) agrees with {@link ReferencePlacementState} (a move
 * at a time) on the outcome and, on failure, on the message, over several words per layer.
 */
class PlanWordsTest {

    @Test
    void shouldListTheMovesInTheOrderAskedFor() {
        int[][] moves = {{0, 3}, {0, 5}, {0, 63}, {0, 64}, {0, 70}, {0, 4}, {1, 5}, {1, 6}, {0, 6}, {0, -1},
            {0, -65}, {2, 200}, {2, 200}};
        MigrationPlan plan = new MigrationPlan();
        for (int[] m : moves) {
            plan.promote(m[0], m[1]);
            plan.demote(m[0], m[1]);
        }
        assertEquals(moves.length, plan.promotions());
        assertEquals(moves.length, plan.demotions());
        for (int i = 0; i < moves.length; i++) {
            assertEquals(moves[i][0], plan.promotedLayer(i), "promotion " + i);
            assertEquals(moves[i][1], plan.promotedUnit(i), "promotion " + i);
            assertEquals(moves[i][0], plan.demotedLayer(i), "demotion " + i);
            assertEquals(moves[i][1], plan.demotedUnit(i), "demotion " + i);
        }
        plan.promote(0, 9);
        assertEquals(9, plan.promotedUnit(moves.length));
        plan.clear();
        assertEquals(0, plan.promotions());
        plan.promote(1, 2);
        assertEquals(2, plan.promotedUnit(0));
    }

    @Test
    void shouldApplyWordsAsTheMoveByMovePlacementDoes() {
        int layers = 3;
        int maxUnits = 200;
        SplittableRandom rnd = new SplittableRandom(7);
        int failures = 0;
        for (int round = 0; round < 300; round++) {
            int capacity = rnd.nextInt(layers * maxUnits + 1);
            PlacementState a = new PlacementState(layers, maxUnits, 1, capacity);
            ReferencePlacementState b = new ReferencePlacementState(layers, maxUnits, 1, capacity);
            int[] created = {rnd.nextInt(maxUnits + 1), 128, 64 * rnd.nextInt(4)};
            for (int l = 0; l < layers; l++) {
                for (int u = 0; u < created[l]; u++) {
                    boolean fast = rnd.nextBoolean() && a.fastFreeBytes() > 0;
                    a.create(l, u, fast);
                    b.create(l, u, fast);
                }
            }
            for (int step = 0; step < 20; step++) {
                MigrationPlan plan = new MigrationPlan();
                for (int[] m : moves(rnd, b, true)) {
                    plan.demote(m[0], m[1]);
                }
                for (int[] m : moves(rnd, b, false)) {
                    plan.promote(m[0], m[1]);
                }
                String ea = outcome(() -> a.apply(plan));
                String eb = outcome(() -> b.apply(plan));
                assertEquals(eb, ea, "round " + round + " step " + step);
                failures += eb.isEmpty() ? 0 : 1;
                for (int l = 0; l < layers; l++) {
                    assertArrayEquals(b.fastBits(l), a.fastBits(l), "round " + round + " layer " + l);
                }
                assertEquals(b.fastUsedBytes(), a.fastUsedBytes());
                assertEquals(b.lastPromoted(), a.lastPromoted());
            }
        }
        assertEquals(true, failures > 600 && failures < 5400, "failures " + failures);
    }

    // Runs of ascending units of one tier (fast ones to demote, slow ones to promote; one word entry
    // or a few each), and odd ones: out of range, repeated, another layer.
    private static List<int[]> moves(SplittableRandom rnd, ReferencePlacementState st, boolean fromFast) {
        int layers = st.layers();
        int maxUnits = st.maxUnits();
        List<int[]> m = new ArrayList<>();
        int runs = rnd.nextInt(4);
        for (int r = 0; r < runs; r++) {
            int l = rnd.nextInt(layers);
            int u = rnd.nextInt(maxUnits);
            for (int k = rnd.nextInt(40); k > 0 && u < st.units(l); u++) {
                if (st.isFast(l, u) == fromFast && rnd.nextInt(4) != 0) {
                    m.add(new int[] {l, u});
                    k--;
                }
            }
        }
        if (rnd.nextInt(8) == 0) {
            int[] odd = {rnd.nextInt(-1, layers + 1), rnd.nextInt(-70, maxUnits + 70)};
            odd[0] = rnd.nextInt(4) == 0 ? odd[0] : Math.floorMod(odd[0], layers);
            m.add(rnd.nextInt(m.size() + 1), odd);
        }
        if (rnd.nextInt(8) == 0 && !m.isEmpty()) {
            m.add(m.get(rnd.nextInt(m.size())));
        }
        return m;
    }

    private static String outcome(Runnable r) {
        try {
            r.run();
            return "";
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }
}
