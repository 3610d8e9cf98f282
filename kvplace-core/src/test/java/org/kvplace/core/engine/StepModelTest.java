package org.kvplace.core.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.TieredKvCache;

/** The engine's step arithmetic: which fast rate a step is modelled at, and a layer's modelled time. */
class StepModelTest {

    private static final double SLOW = 1e9; // bytes per second: one byte per nanosecond

    private static StepModel model(double fastBytesPerSecond, boolean laneRate) {
        try (TieredKvCache cache = TieredKvCache.builder().shape(new ModelShape(1, 1, 8, 64)).pageTokens(16)
                .fastTierPages(4).slowTierPages(8).slowTierBandwidth(SLOW).build()) {
            return new StepModel(cache, 0, fastBytesPerSecond, laneRate);
        }
    }

    @Test
    void theCalibratedRateModelsEveryStepWithoutLaneRates() {
        StepModel m = model(8e9, false);
        assertEquals(8.0, m.fastRate(0, 0));
        assertEquals(8.0, m.fastRate(KvPlace.LANE_RATE_MIN_BYTES * 4, 1_000));
    }

    @Test
    void laneRatesTakeOverOnceTheLanesHaveReadEnough() {
        StepModel m = model(8e9, true);
        long enough = KvPlace.LANE_RATE_MIN_BYTES;
        assertEquals(8.0, m.fastRate(enough - 1, 1_000), "too few bytes read: the calibrated rate");
        assertEquals(8.0, m.fastRate(enough, 0), "no lane time: the calibrated rate");
        assertEquals(enough / 16e6, m.fastRate(enough, 16_000_000L), 1e-12);
        assertEquals(2.0, m.fastRate(4 * enough, 2 * enough));
    }

    @Test
    void noCalibratedRateMeansNoModelledTimes() {
        StepModel m = model(0, true);
        assertEquals(0.0, m.fastRate(KvPlace.LANE_RATE_MIN_BYTES * 4, 1_000));
        assertEquals(0, m.layerNanos(1_000, 1_000, 0.0));
        assertEquals(0, m.fastNanos(1_000, 0.0));
    }

    @Test
    void aLayerTakesTheSlowerOfItsTwoLanes() {
        StepModel m = model(8e9, false);
        // 8,000 fast bytes at 2 bytes/ns: 4,000 ns; 3,000 slow bytes at 1 byte/ns: 3,000 ns.
        assertEquals(4_000, m.layerNanos(8_000, 3_000, 2.0));
        assertEquals(5_000, m.layerNanos(8_000, 5_000, 2.0));
        assertEquals(500, m.fastNanos(1_000, 2.0));
        assertEquals(7_000, m.migrationNanos(7_000));
    }

    @Test
    void laneRatesNeedACalibratedRateForTheFirstSteps() {
        KvPlace.Builder b = KvPlace.builder()
                .cache(TieredKvCache.builder().shape(new ModelShape(1, 1, 8, 64)).pageTokens(16).fastTierPages(4)
                        .slowTierPages(8))
                .modelFastRateFromLanes(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, b::build);
        assertTrue(e.getMessage().contains("modelFastRateFromLanes") && e.getMessage().contains("modelFastBytesPerSecond"),
                e.getMessage());
        assertDoesNotThrow(() -> b.modelFastBytesPerSecond(1e9).build().close());
    }
}
