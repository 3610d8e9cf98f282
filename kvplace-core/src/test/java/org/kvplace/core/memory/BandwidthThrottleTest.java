package org.kvplace.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BandwidthThrottleTest {

    @Test
    void shouldRejectNonPositiveOrNonFiniteBandwidth() {
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class, () -> BandwidthThrottle.ofBytesPerSecond(bad));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> BandwidthThrottle.of(1e9, -1));
        assertThrows(IllegalArgumentException.class, () -> BandwidthThrottle.ofRatio(0, 1e9));
        assertThrows(IllegalArgumentException.class, () -> BandwidthThrottle.ofRatio(1.5, 1e9));
    }

    @Test
    void shouldDeriveBandwidthFromRatio() {
        BandwidthThrottle t = BandwidthThrottle.ofRatio(450.0 / 4900.0, 4.9e12);
        assertEquals(450e9, t.bytesPerSecond(), 1e-3);
    }

    /**
     * A lower bound only: charging X bytes at B bytes/s cannot finish before X/B minus the burst
     * allowance. A loaded machine makes it slower, never faster, so this cannot flake.
     */
    @ParameterizedTest
    @EnumSource(BandwidthThrottle.Wait.class)
    void shouldNeverDeliverFasterThanConfigured(BandwidthThrottle.Wait wait) {
        double bandwidth = 100e6; // 100 MB/s
        BandwidthThrottle t = BandwidthThrottle.of(bandwidth, 0);
        long chunk = 64 * 1024;
        int chunks = 32; // 2 MiB: 21 ms at 100 MB/s
        long t0 = System.nanoTime();
        for (int i = 0; i < chunks; i++) {
            t.acquire(chunk, wait);
        }
        long elapsed = System.nanoTime() - t0;
        long modelled = (long) (chunk * chunks / bandwidth * 1e9);
        assertTrue(elapsed >= modelled, "elapsed " + elapsed + " ns < modelled " + modelled + " ns");
        assertEquals(chunk * chunks, t.bytesCharged());
        assertTrue(t.nanosWaited() > 0);
    }

    @Test
    void shouldShareTheLinkBetweenThreads() throws InterruptedException {
        double bandwidth = 200e6;
        BandwidthThrottle t = BandwidthThrottle.of(bandwidth, 0);
        long chunk = 32 * 1024;
        int perThread = 32;
        Thread[] threads = new Thread[2];
        long t0 = System.nanoTime();
        for (int i = 0; i < threads.length; i++) {
            threads[i] = Thread.ofPlatform().start(() -> {
                for (int c = 0; c < perThread; c++) {
                    t.acquire(chunk);
                }
            });
        }
        for (Thread th : threads) {
            th.join();
        }
        long elapsed = System.nanoTime() - t0;
        long modelled = (long) (2 * perThread * chunk / bandwidth * 1e9);
        assertTrue(elapsed >= modelled, "two threads got more than the link: " + elapsed + " ns < " + modelled);
    }

    @Test
    void shouldChargeNothingForEmptyTransfers() {
        BandwidthThrottle t = BandwidthThrottle.ofBytesPerSecond(1);
        t.acquire(0);
        t.acquire(-5);
        assertEquals(0, t.bytesCharged());
    }
}
