package org.kvplace.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.memory.TierKind;

/** Sparse two-lane attention through the real cache: pages in both tiers, reads charged to their tier. */
class CacheIntegrationTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void shouldAttendAcrossBothTiersOfTheCache(ElementType type) {
        ModelShape shape = new ModelShape(2, 2, 64, 1024);
        int queryHeads = 8;
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(16).elementType(type)
                .fastTierPages(20).slowTierPages(200).slowTierBandwidth(50e9).build();
                Sequence seq = cache.newSequence();
                SparseAttention active = SparseAttention.builder(Kernels.lookup(), queryHeads, 64, cache.pagesPerLayer())
                        .budgetTokens(256).parallelLanes(true).build();
                SparseAttention scalar = SparseAttention.builder(Kernels.scalar(), queryHeads, 64, cache.pagesPerLayer())
                        .budgetTokens(256).parallelLanes(false).build()) {
            SplittableRandom rnd = new SplittableRandom(5);
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            for (int t = 0; t < 700; t++) {
                for (int layer = 0; layer < 2; layer++) {
                    for (int i = 0; i < k.length; i++) {
                        k[i] = (float) rnd.nextDouble(-1, 1);
                        v[i] = (float) rnd.nextDouble(-1, 1);
                    }
                    seq.append(layer, k, v);
                }
            }
            float[] q = new float[queryHeads * 64];
            for (int i = 0; i < q.length; i++) {
                q[i] = (float) rnd.nextDouble(-2, 2);
            }
            float[] expected = new float[q.length];
            float[] actual = new float[q.length];
            seq.attend(1, q, expected, scalar);
            long fastBefore = cache.tier(TierKind.FAST).bytesRead();
            long slowBefore = cache.tier(TierKind.SLOW).bytesRead();
            seq.attend(1, q, actual, active);
            long fastRead = cache.tier(TierKind.FAST).bytesRead() - fastBefore;
            long slowRead = cache.tier(TierKind.SLOW).bytesRead() - slowBefore;

            assertEquals(scalar.selectedCount(), active.selectedCount());
            long expectFast = 0;
            long expectSlow = 0;
            long tokenBytes = cache.layout().tokenBytes();
            for (int i = 0; i < active.selectedCount(); i++) {
                assertEquals(scalar.selectedPage(i), active.selectedPage(i));
                int page = active.selectedPage(i);
                long bytes = cache.tokensOf(seq.pageHandle(1, page)) * tokenBytes;
                if (cache.tierOf(seq.pageHandle(1, page)) == TierKind.FAST) {
                    expectFast += bytes;
                } else {
                    expectSlow += bytes;
                }
            }
            assertTrue(active.fastLanePages() > 0 && active.slowLanePages() > 0, "both tiers were read");
            assertEquals(expectFast, fastRead);
            assertEquals(expectSlow, slowRead);
            for (int i = 0; i < q.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5, "element " + i);
            }
            assertThrows(IllegalArgumentException.class, () -> seq.attend(1, new float[8], new float[8], active));
            float[] bad = q.clone();
            bad[3] = Float.NaN;
            assertThrows(IllegalArgumentException.class, () -> seq.attend(1, bad, new float[q.length], active));
            try (SparseAttention tooSmall = SparseAttention.builder(Kernels.lookup(), queryHeads, 64, 10)
                    .budgetTokens(256).parallelLanes(true).build()) {
                assertThrows(IllegalArgumentException.class, () -> seq.attend(1, q, new float[q.length], tooSmall));
            }
        }
    }

    /**
     * Keys, values and queries at the largest magnitude the cache accepts ({@link Sequence#MAX_ABS_VALUE},
     * alternating signs) give finite attention with the active kernel, dense, sparse and two-level.
     */
    @org.junit.jupiter.api.Test
    void shouldGiveFiniteAttentionAtTheLargestAcceptedMagnitude() {
        float b = Sequence.MAX_ABS_VALUE;
        ModelShape shape = new ModelShape(1, 2, 64, 1024);
        int queryHeads = 8;
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(16)
                .slowTierPages(64).kernel(Kernels.lookup()).build();
                Sequence seq = cache.newSequence();
                SparseAttention flat = SparseAttention.builder(Kernels.lookup(), queryHeads, 64, cache.pagesPerLayer())
                        .budgetTokens(256).parallelLanes(true).build();
                SparseAttention twoLevel = SparseAttention.builder(Kernels.lookup(), queryHeads, 64, cache.pagesPerLayer())
                        .budgetTokens(128).parallelLanes(true).oversample(1).build()) {
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            for (int t = 0; t < 1000; t++) {
                for (int i = 0; i < k.length; i++) {
                    k[i] = (t + i) % 3 == 0 ? -b : b;
                    v[i] = (t * 7 + i) % 2 == 0 ? b : -b;
                }
                seq.append(0, k, v);
            }
            float[] q = new float[queryHeads * 64];
            for (int i = 0; i < q.length; i++) {
                q[i] = i % 5 == 0 ? -b : b;
            }
            float[] out = new float[q.length];
            seq.attend(0, q, out);
            assertFinite(out, "dense " + Kernels.lookup().name());
            seq.attend(0, q, out, flat);
            assertFinite(out, "sparse " + Kernels.lookup().name());
            seq.attend(0, q, out, twoLevel);
            assertFinite(out, "two-level " + Kernels.lookup().name());
        }
    }

    private static void assertFinite(float[] x, String what) {
        for (int i = 0; i < x.length; i++) {
            assertTrue(Float.isFinite(x[i]), what + ": out[" + i + "]=" + x[i]);
        }
    }
}
