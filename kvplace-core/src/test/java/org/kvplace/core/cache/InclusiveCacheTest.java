package org.kvplace.core.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.memory.BandwidthThrottle;
import org.kvplace.core.memory.TierKind;

/**
 * An inclusive cache keeps a slow copy of every page: appends write both copies, a promotion adds
 * the fast copy, a demotion drops it without copying, and the lanes of an attend read pages with
 * both copies from either tier without changing a bit of the result.
 */
class InclusiveCacheTest {

    private static final int LAYERS = 2;
    private static final int TOKENS = 2_000;

    private static TieredKvCache.Builder inclusive(ModelShape shape, int fastPages, int slowPages) {
        return TieredKvCache.builder().shape(shape).pageTokens(16).kernel(Kernels.scalar())
                .fastTierPages(fastPages).slowTierPages(slowPages).inclusive(true);
    }

    @Test
    void shouldKeepBothCopiesOfEveryPageEqualThroughRandomMovesAndAppends() {
        ModelShape shape = new ModelShape(LAYERS, 2, 8, TOKENS);
        int pages = TOKENS / 16 * LAYERS; // 250
        try (TieredKvCache cache = inclusive(shape, 60, pages).build()) {
            Sequence seq = cache.newSequence();
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            SplittableRandom rnd = new SplittableRandom(3);
            int promoted = 0;
            int demoted = 0;
            for (int t = 0; t < TOKENS; t++) {
                for (int l = 0; l < LAYERS; l++) {
                    TestData.fill(k, seq.id(), l, t, 0);
                    TestData.fill(v, seq.id(), l, t, 1);
                    seq.append(l, k, v, rnd.nextBoolean() ? TierKind.FAST : TierKind.SLOW);
                }
                for (int m = 0; m < 3; m++) { // moves between appends, the last page included
                    int layer = rnd.nextInt(LAYERS);
                    long page = seq.pageHandle(layer, rnd.nextInt(seq.pageCount(layer)));
                    if (cache.tierOf(page) == TierKind.FAST) {
                        assertTrue(cache.tryMigrate(page, TierKind.SLOW), "a demotion never needs room");
                        demoted++;
                    } else {
                        boolean ok = rnd.nextBoolean() ? cache.tryMigrate(page, TierKind.FAST)
                                : cache.tryPromoteAfterRead(page, BandwidthThrottle.Wait.PRECISE);
                        assertEquals(ok, cache.tierOf(page) == TierKind.FAST);
                        promoted += ok ? 1 : 0;
                    }
                }
            }
            assertTrue(promoted > 1_000 && demoted > 1_000, promoted + " promoted, " + demoted + " demoted");
            assertEquals(pages, cache.capacityPages(TierKind.SLOW) - cache.freePages(TierKind.SLOW),
                    "every page holds one slow slot");
            int inFast = 0;
            float[] got = new float[shape.kvWidth()];
            for (int l = 0; l < LAYERS; l++) {
                for (int p = 0; p < seq.pageCount(l); p++) {
                    inFast += cache.tierOf(seq.pageHandle(l, p)) == TierKind.FAST ? 1 : 0;
                }
                for (int t = 0; t < TOKENS; t++) {
                    boolean fast = cache.tierOf(seq.pageHandle(l, t / 16)) == TierKind.FAST;
                    for (TierKind copy : fast ? TierKind.values() : new TierKind[] {TierKind.SLOW}) {
                        seq.readKey(l, t, got, copy);
                        IntegrityTest.check(got, seq.id(), l, t, 0);
                        seq.readValue(l, t, got, copy);
                        IntegrityTest.check(got, seq.id(), l, t, 1);
                    }
                    if (!fast) {
                        int token = t;
                        int layer = l;
                        assertThrows(IllegalArgumentException.class, () -> seq.readKey(layer, token, got, TierKind.FAST));
                    }
                }
            }
            assertEquals(inFast, cache.capacityPages(TierKind.FAST) - cache.freePages(TierKind.FAST),
                    "fast slots are the pages with a fast copy");
            seq.close();
            assertEquals(cache.capacityPages(TierKind.FAST), cache.freePages(TierKind.FAST));
            assertEquals(cache.capacityPages(TierKind.SLOW), cache.freePages(TierKind.SLOW));
        }
    }

    @Test
    void shouldChargeTheLinkOnlyForWhatCrossesIt() {
        ModelShape shape = new ModelShape(1, 2, 8, 64);
        try (TieredKvCache cache = inclusive(shape, 4, 4).slowTierBandwidth(1e15).build();
                Sequence seq = cache.newSequence()) {
            long pageBytes = cache.layout().pageBytes();
            long tokenBytes = cache.layout().tokenBytes();
            float[] x = new float[shape.kvWidth()];
            var slow = cache.tier(TierKind.SLOW);
            seq.append(0, x, x, TierKind.FAST);
            assertEquals(TierKind.FAST, cache.tierOf(seq.pageHandle(0, 0)));
            assertEquals(3, cache.freePages(TierKind.SLOW), "a fast page takes a slow slot too");
            assertEquals(tokenBytes, slow.bytesWritten(), "the token is written to the slow copy");
            for (int t = 1; t < 32; t++) {
                seq.append(0, x, x, TierKind.SLOW);
            }
            long page1 = seq.pageHandle(0, 1);
            assertEquals(TierKind.SLOW, cache.tierOf(page1));
            long read = slow.bytesRead();
            long written = slow.bytesWritten();
            long copied = cache.bytesMigrated();

            assertTrue(cache.tryMigrate(page1, TierKind.FAST));
            assertEquals(read + pageBytes, slow.bytesRead(), "a promotion reads the page over the link");
            assertEquals(written, slow.bytesWritten(), "and keeps the slow copy");
            assertEquals(copied + pageBytes, cache.bytesMigrated());

            assertTrue(cache.tryMigrate(page1, TierKind.SLOW));
            assertEquals(read + pageBytes, slow.bytesRead(), "a demotion reads nothing");
            assertEquals(written, slow.bytesWritten(), "and writes nothing");
            assertEquals(copied + pageBytes, cache.bytesMigrated(), "and copies nothing");

            assertTrue(cache.tryPromoteAfterRead(page1, BandwidthThrottle.Wait.YIELDING));
            assertEquals(read + pageBytes, slow.bytesRead(), "a promotion after a slow read reads nothing more");
            assertEquals(TierKind.FAST, cache.tierOf(page1));
            assertThrows(IllegalArgumentException.class, () -> cache.tryMigrate(page1, TierKind.FAST));
            assertThrows(IllegalArgumentException.class,
                    () -> cache.tryPromoteAfterRead(page1, BandwidthThrottle.Wait.PRECISE));
        }
    }

    @Test
    void shouldNeedASlowSlotForEveryPage() {
        ModelShape shape = new ModelShape(1, 2, 8, 64);
        try (TieredKvCache cache = inclusive(shape, 4, 2).build(); Sequence seq = cache.newSequence()) {
            float[] x = new float[shape.kvWidth()];
            for (int t = 0; t < 32; t++) {
                seq.append(0, x, x, TierKind.FAST);
            }
            assertEquals(2, cache.freePages(TierKind.FAST));
            TierFullException e = assertThrows(TierFullException.class, () -> seq.append(0, x, x, TierKind.FAST));
            assertTrue(e.getMessage().contains("slow tier is full"), e.getMessage());
            assertEquals(32, seq.tokens(0), "nothing appended");
        }
    }

    @Test
    void shouldRefuseWhatAnExclusiveCacheCannotDo() {
        ModelShape shape = new ModelShape(1, 2, 8, 64);
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).fastTierPages(4).slowTierPages(4).build();
                Sequence seq = cache.newSequence()) {
            float[] x = new float[shape.kvWidth()];
            seq.append(0, x, x, TierKind.FAST);
            assertFalse(cache.inclusive());
            long page = seq.pageHandle(0, 0);
            assertTrue(cache.tryMigrate(page, TierKind.SLOW));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cache.tryPromoteAfterRead(page, BandwidthThrottle.Wait.PRECISE));
            assertTrue(e.getMessage().contains("inclusive"), e.getMessage());
            assertTrue(cache.tryMigrate(page, TierKind.FAST));
            IllegalArgumentException no = assertThrows(IllegalArgumentException.class,
                    () -> seq.readKey(0, 0, new float[shape.kvWidth()], TierKind.SLOW));
            assertTrue(no.getMessage().contains("no copy in tier SLOW"), no.getMessage());
        }
    }

    @Test
    void shouldShareThePagesWithTwoCopiesBetweenBothLanesWithTheSameBits() {
        ModelShape shape = new ModelShape(1, 2, 16, 4_096);
        int pages = 4_096 / 16;
        float[] q = new float[4 * 16];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextDouble(-1, 1);
        }
        float[] expected = new float[q.length];
        float[] got = new float[q.length];
        int slowLane = 0;
        try (TieredKvCache all = TieredKvCache.builder().shape(shape).kernel(Kernels.scalar()).fastTierPages(pages)
                .slowTierPages(0).build();
                TieredKvCache dual = inclusive(shape, pages, pages).slowTierBandwidth(1e9).build();
                Sequence a = all.newSequence();
                Sequence b = dual.newSequence();
                SparseAttention lanes = SparseAttention.builder(Kernels.scalar(), 4, 16, pages).parallelLanes(true)
                        .build();
                SparseAttention one = SparseAttention.builder(Kernels.scalar(), 4, 16, pages).build()) {
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            for (int t = 0; t < 4_096; t++) {
                TestData.fill(k, 0, 0, t, 0);
                TestData.fill(v, 0, 0, t, 1);
                a.append(0, k, v);
                b.append(0, k, v, TierKind.FAST);
            }
            assertEquals(0, dual.freePages(TierKind.FAST), "every page has both copies");
            a.attend(0, q, expected, one);
            for (int step = 0; step < 10; step++) {
                b.attend(0, q, got, lanes);
                assertArrayEquals(expected, got, "step " + step);
                assertEquals(pages, lanes.fastLanePages() + lanes.slowLanePages());
                slowLane = Math.max(slowLane, lanes.slowLanePages());
            }
        }
        // Every block is shared; the slow lane takes blocks from the back while the fast lane reads
        // from the front (32 blocks, about 10-30 us each for the fast lane, 33 us for the slow one;
        // how many each takes depends on when the threads run).
        assertTrue(slowLane > 0, "the slow lane read no page with two copies in 10 steps");
    }
}
