package org.kvplace.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class PaperCostModelTest {

    // B_F = 1000 B/s, link 100 + 100 B/s, DRAM 1000 B/s; W = 100 bytes per layer step.
    private static final HardwareProfile HW = new HardwareProfile("toy", 1000, 1_000_000, 100, 100, 1000, 1_000_000);
    private static final ModelProfile MODEL = new ModelProfile("toy", 1, 10, 100, 1);

    @Test
    void shouldAddTheWriteAndMoveTermToTheSlowReadTerm() {
        PaperCostModel cm = new PaperCostModel(HW, MODEL);
        assertEquals(1000.0 / 1100, cm.alphaCap(), 1e-15);
        // D_R = 200, alpha = (100 + 50) / 200 = 0.75
        // T_F = (150 + 10 + 20) / 1000 = 0.18
        // T_S = max(10/100, 10/100, 20/1000) + (50 + 10) / 100 = 0.1 + 0.6
        assertEquals(0.75, cm.alpha(100, 50), 1e-15);
        assertEquals(0.7, cm.stepTime(100, 50, 10, true, 20, 10), 1e-12);
        // each side alone (beta = 0): T_F = (150 + 20) / 1000, T_S as above
        assertEquals(0.17, cm.fastTime(100, 50, 20), 1e-12);
        assertEquals(0.7, cm.slowTime(100, 50, 10, 10), 1e-12);
        assertEquals(0.1 + (200.0 / 11) / 100, cm.slowTime(100, 100, 10, 0), 1e-12);
        // all resident: alpha capped at 10/11; T_S = 0.1 + (200/11 + 10) / 100
        assertEquals(0.1 + (200.0 / 11 + 10) / 100, cm.stepTime(100, 100, 10, true, 20, 10), 1e-12);
        // the fast side binds when nothing is read from the slow tier beyond the cap: W large
        PaperCostModel heavy = new PaperCostModel(HW, new ModelProfile("w", 1, 10, 100_000, 1));
        // D_R = 100100, alpha = cap, T_F = (cap * 100100 + 0 + 0) / 1000, T_S = 0.1 + (1-cap) * 100100 / 100
        double cap = 1000.0 / 1100;
        assertEquals(Math.max(cap * 100100 / 1000, 0.1 + (1 - cap) * 100100 / 100),
                heavy.stepTime(100, 100, 10, false, 0, 0), 1e-9);
    }

    @Test
    void shouldBoundEveryStepItPrices() {
        PaperCostModel cm = new PaperCostModel(HW, MODEL);
        double bound = cm.boundStepTime(100, 10);
        assertEquals(0.1 + (200.0 / 11) / 100, bound, 1e-12);
        for (int resident = 0; resident <= 100; resident += 10) {
            assertTrue(cm.stepTime(100, resident, 10, resident % 20 == 0, 0, 0) >= bound - 1e-12);
        }
        // all-fast: T_F = (200 + 10) / 1000, T_S = max(10/100, 10/1000) = 0.1
        assertEquals(0.21, cm.allFastStepTime(100, 10), 1e-12);
    }

    @Test
    void shouldRejectBadSizes() {
        PaperCostModel cm = new PaperCostModel(HW, MODEL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cm.stepTime(10, 20, 10, false, 0, 0));
        assertTrue(e.getMessage().contains("residentBytes=20"), e.getMessage());
    }

    @Test
    void shouldParseTheCostModelKeyAndOption() {
        Properties p = new Properties();
        assertEquals(null, CostModelKind.fromProperties(p, "hw.properties"));
        p.setProperty("cost.model", "paper");
        assertEquals(CostModelKind.PAPER, CostModelKind.fromProperties(p, "hw.properties"));
        assertEquals(CostModelKind.PAPER, CostModelKind.parse("inclusive", "--cost-model"));
        assertEquals(CostModelKind.KVPLACE, CostModelKind.parse("KVPLACE", "--cost-model"));
        p.setProperty("cost.model", "exclusive");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CostModelKind.fromProperties(p, "hw.properties"));
        assertTrue(e.getMessage().contains("hw.properties: key 'cost.model'")
                && e.getMessage().contains("'exclusive'"), e.getMessage());
    }
}
