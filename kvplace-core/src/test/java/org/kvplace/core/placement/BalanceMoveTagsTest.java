package org.kvplace.core.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * BalancePolicy keeps each unit's last move as a 16-bit tag of its layer's step (step modulo
 * 2^14), swept every {@code SWEEP} steps: every test it makes ("moved within 16 steps", "within
 * MIN_RESIDENCY steps") must come out as with the full step, across the tag's wrap-around.
 */
class BalanceMoveTagsTest {

    @Test
    void shouldTellMovesWithinSixteenStepsAcrossWrapAroundAndSweeps() {
        int horizon = 4 * BalancePolicy.MIN_RESIDENCY;
        for (int t0 = 1; t0 < 5 * (BalancePolicy.AGE + 1); t0 += 997) {
            for (boolean promoted : new boolean[] {false, true}) {
                char[] moves = {BalancePolicy.tag(t0, promoted), 0};
                for (int t = t0; t < t0 + 3 * BalancePolicy.SWEEP; t++) {
                    if (t > t0 && t % BalancePolicy.SWEEP == 0) {
                        BalancePolicy.sweep(moves, t);
                    }
                    int d = t - t0;
                    char e = moves[0];
                    boolean recent = e != 0 && BalancePolicy.age(e, t) < horizon;
                    assertEquals(d < horizon, recent, "moved at " + t0 + ", asked at " + t);
                    if (recent) {
                        assertEquals(d, BalancePolicy.age(e, t), "age of a move at " + t0 + " at " + t);
                        assertEquals(promoted, (e & BalancePolicy.PROMOTED) != 0);
                    }
                    assertTrue(moves[1] == 0, "an empty entry stays empty");
                }
            }
        }
    }
}
