package org.kvplace.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CostModelTest {

    // B_F = 1000 B/s, link 100 + 100 B/s, DRAM 150 B/s; 2 layers of 1000 weight bytes.
    private static HardwareProfile hw(long fastCapacity) {
        return new HardwareProfile("toy", 1000, fastCapacity, 100, 100, 150, 1_000_000);
    }

    private static final ModelProfile MODEL = new ModelProfile("toy", 2, 10, 1000, 1);

    @Test
    void shouldTakeTheSlowLinkWhenItIsTheBottleneck() {
        CostModel cm = new CostModel(hw(10_000), MODEL);
        StepCost c = cm.step(1000, 800, 10, true, 0, 0);
        assertEquals(1.81, c.fastTime(), 1e-12);   // (1000 + 800 + 10) / 1000
        assertEquals(2.0, c.slowTime(), 1e-12);    // 200 / 100 on the link
        assertEquals(2.0, c.time(), 1e-12);
    }

    @Test
    void shouldChargeMigrationToBothSidesWhenItDominates() {
        CostModel cm = new CostModel(hw(10_000), MODEL);
        StepCost c = cm.step(100, 100, 10, true, 1000, 500);
        assertEquals(2.61, c.fastTime(), 1e-12);   // (1000 + 100 + 10 + 1000 + 500) / 1000
        assertEquals(10.0, c.slowTime(), 1e-12);   // link read 1000/100 = DRAM 1500/150 = 10
        assertEquals(10.0, cm.stepTime(100, 100, 10, true, 1000, 500), 1e-12);
    }

    @Test
    void shouldChargeSlowWritesOnTheWriteLink() {
        CostModel cm = new CostModel(hw(10_000), MODEL);
        StepCost c = cm.step(0, 0, 1200, false, 0, 0);
        assertEquals(1.0, c.fastTime(), 1e-12);    // weights only
        assertEquals(12.0, c.slowTime(), 1e-12);   // 1200 / 100 on the write link (DRAM 1200/150 = 8)
    }

    @Test
    void shouldBalanceBothTiersWhenCapacityAllows() {
        CostModel cm = new CostModel(hw(10_000), MODEL);
        // beta = 0: (1000 + a)/1000 = (1000 - a)/100  =>  a = 9/0.011, T = 20/11
        assertEquals(20.0 / 11.0, cm.balancedStepTime(1000, 10), 1e-12);
        assertEquals(9.0 / 0.011, cm.balancedFastShare(1000, 10), 1e-9);
        assertEquals(2.01, cm.allFastStepTime(1000, 10), 1e-12);
    }

    @Test
    void shouldBeCapacityBoundWhenTheFastTierIsSmall() {
        CostModel cm = new CostModel(hw(2300), MODEL);  // 300 bytes of KV room
        assertEquals(300, cm.fastKvCapacity());
        assertEquals(7.0, cm.balancedStepTime(1000, 10), 1e-12);  // a = 300: 700/100 on the link
        assertEquals(300.0, cm.balancedFastShare(1000, 10), 1e-12);
    }

    @Test
    void shouldNeverBeatTheBalancedBoundWithAnyPlacement() {
        CostModel cm = new CostModel(hw(2600), MODEL);
        double bound = cm.balancedStepTime(1000, 10);
        for (long a = 0; a <= 600; a += 10) {
            for (boolean beta : new boolean[] {false, true}) {
                assertTrue(cm.stepTime(1000, a, 10, beta, 0, 0) >= bound - 1e-12, "a=" + a + " beta=" + beta);
            }
        }
    }

    @Test
    void shouldRejectNegativeSizesAndFastReadsAboveReads() {
        CostModel cm = new CostModel(hw(10_000), MODEL);
        assertThrows(IllegalArgumentException.class, () -> cm.stepTime(-1, 0, 0, true, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> cm.stepTime(10, 11, 0, true, 0, 0));
    }

    @Test
    void shouldRejectWeightsLargerThanTheFastTier() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CostModel(hw(1999), MODEL));
        assertTrue(e.getMessage().contains("2000"), e.getMessage());
    }

    @Test
    void shouldMatchThePaperBalancedShareOnGh200() {
        // DESIGN: about B_F / (B_F + B_S) = 4900/5350 = 91.6% of the bytes from F when capacity allows.
        ModelProfile m = new ModelProfile("kv-only", 1, 4096, 0, 1);
        CostModel cm = new CostModel(HardwareProfile.gh200(), m);
        double share = cm.balancedFastShare(1_000_000_000L, 0) / 1e9;
        assertEquals(4900.0 / 5350.0, share, 1e-9);
    }
}
