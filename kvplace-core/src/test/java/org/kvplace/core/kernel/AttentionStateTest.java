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
    void shouldReportTheSameMassesInBulkAsPageByPage() {
        AttentionState s = new AttentionState(2, 1, 3);
        s.max()[0] = 1f;
        s.max()[1] = 2f;
        s.sum()[0] = 4f;
        s.sum()[1] = 3f;
        float[] refs = {1f, 0.5f, 0.5f, 2f, 1f, 2f}; // [position * 2 + head]
        float[] sums = {1f, 2f, 1.5f, 0.5f, 0.25f, 1f};
        System.arraycopy(refs, 0, s.pageRef(), 0, refs.length);
        System.arraycopy(sums, 0, s.pageSum(), 0, sums.length);
        float[] dst = {9f, 9f, 9f, 9f};
        s.pageMasses(3, s, dst, new int[] {3, 0, 2});
        // position 0: head 0: 1*e^0/4 = 0.25; head 1: 2*e^(0.5-2)/3
        assertEquals(0.25 + 2 * Math.exp(-1.5) / 3, dst[3], 1e-6);
        assertEquals(1.5 * Math.exp(0.5 - 1) / 4 + 0.5 * Math.exp(0) / 3, dst[0], 1e-6);
        assertEquals(0.25 * Math.exp(0) / 4 + 1 * Math.exp(0) / 3, dst[2], 1e-6);
        assertEquals(9f, dst[1]);
        for (int i = 0; i < 3; i++) {
            assertEquals(s.pageMass(i, s), dst[new int[] {3, 0, 2}[i]], 1e-6);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> s.pageMasses(4, s, dst, new int[] {0, 1, 2, 3}));
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
