package org.kvplace.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AttentionStateTest {

    @Test
    void shouldMergeByLogSumExp() {
        // head 0: lane a saw scores {0} with v=1; lane b saw scores {ln 3} with v=5 -> weights 1:3
        AttentionState a = new AttentionState(1, 1, 0);
        AttentionState b = new AttentionState(1, 1, 0);
        a.max()[0] = 0f;
        a.sum()[0] = 1f;
        a.acc()[0] = 1f;
        b.max()[0] = (float) Math.log(3);
        b.sum()[0] = 1f;
        b.acc()[0] = 5f;
        a.merge(b);
        float[] out = new float[1];
        a.finish(out);
        assertEquals((1 * 1 + 3 * 5) / 4.0, out[0], 1e-6);
        assertEquals(Math.log(3), a.max()[0], 1e-7);
    }

    @Test
    void shouldTreatAnEmptyStateAsIdentity() {
        AttentionState a = new AttentionState(2, 2, 0);
        AttentionState empty = new AttentionState(2, 2, 0);
        a.max()[0] = 2f;
        a.max()[1] = -1f;
        a.sum()[0] = 3f;
        a.sum()[1] = 1f;
        a.acc()[0] = 1f;
        a.acc()[1] = 2f;
        a.acc()[2] = 3f;
        a.acc()[3] = 4f;
        a.merge(empty);
        assertArrayEquals(new float[] {2f, -1f}, a.max());
        assertArrayEquals(new float[] {3f, 1f}, a.sum());
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, a.acc());
        empty.merge(a);
        assertArrayEquals(a.acc(), empty.acc());
        assertTrue(new AttentionState(1, 1, 0).isEmpty());
    }

    @Test
    void shouldRejectBadShapesAndUse() {
        assertThrows(IllegalArgumentException.class, () -> new AttentionState(0, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> new AttentionState(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new AttentionState(1, 4, -1));
        AttentionState s = new AttentionState(2, 4, 1);
        assertThrows(IllegalArgumentException.class, () -> s.merge(new AttentionState(2, 8, 0)));
        assertThrows(IllegalArgumentException.class, () -> s.finish(new float[7]));
        assertThrows(IllegalStateException.class, () -> s.finish(new float[8]));
        assertThrows(IndexOutOfBoundsException.class, () -> s.pageMass(1, s));
    }
}
