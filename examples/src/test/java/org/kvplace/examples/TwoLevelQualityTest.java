package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kvplace.examples.TwoLevelSynthetic.Captured;
import org.kvplace.examples.TwoLevelSynthetic.Keys;
import org.kvplace.examples.TwoLevelSynthetic.Row;
import org.kvplace.examples.TwoLevelSynthetic.Setting;

/**
 * How much of the true attention mass flat and two-level page selection capture, on keys that are
 * locally correlated as real keys are, and on keys where they are not (the control that shows the
 * measure can tell the two selections apart), as {@link TwoLevelSynthetic} measures it.
 *
 * <p>The selections are the code under test ({@code SparseAttention} on a tiered cache holding the
 * keys); the mass is the measurement's own exact softmax in double precision from the keys as
 * generated, which shares no code with the cache, the kernels or the selection.
 */
class TwoLevelQualityTest {

    @Test
    void shouldKeepNearlyFlatSelectionsMassOnLocallyCorrelatedKeys() {
        for (Setting setting : TwoLevelSynthetic.SETTINGS) {
            List<Row> rows = TwoLevelSynthetic.rows(setting);
            assertEquals(TwoLevelSynthetic.BUDGETS.size() * TwoLevelSynthetic.OVERSAMPLES.size(), rows.size());
            for (Row row : rows) {
                Captured c = row.captured();
                String at = setting + ", budget " + row.budget() + ", oversample " + row.oversample() + ": " + c;
                // The measure discriminates: page bounds beat a random choice of as many pages by
                // far (measured: by 0.24 of the mass at least, on the scattered keys).
                assertTrue(c.flat() > c.random() + 0.15, at);
                double ratio = c.twoLevel() / c.flat();
                assertTrue(ratio <= 1 + 1e-9, at + ": two-level above flat");
                if (setting.keys() == Keys.CORRELATED) {
                    // Measured two-level / flat on correlated keys (docs/decode.md), lowest over both
                    // alignments and budgets: 0.78 at oversample 1, 0.90 at 2, 0.95 at 4. The
                    // thresholds leave about 0.05 for other seeds and kernels' rounding; a first
                    // level that kept the wrong groups would fall to the scattered figures.
                    double least = switch (row.oversample()) {
                        case 1 -> 0.70;
                        case 2 -> 0.85;
                        default -> 0.90;
                    };
                    assertTrue(ratio >= least, at + ": two-level/flat " + ratio + " < " + least);
                } else if (row.oversample() <= 2) {
                    // The control: without local correlation group bounds cannot rank groups, and
                    // two-level keeps clearly less (measured 0.52 to 0.71 of flat, below every
                    // correlated figure), so a measure that could not see a worse selection fails here.
                    assertTrue(ratio <= 0.80, at + ": two-level/flat " + ratio + " on scattered keys");
                }
            }
        }
    }
}
