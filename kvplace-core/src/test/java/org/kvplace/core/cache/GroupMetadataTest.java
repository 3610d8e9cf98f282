package org.kvplace.core.cache;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.memory.TierKind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;


/** Page-group key metadata: the element-wise min/max of the keys of each group of pages. */
class GroupMetadataTest {

    private static final int HEAD_DIM = 8;
    private static final int KV_HEADS = 2;
    private static final int PAGE_TOKENS = 2;
    private static final int GROUP_TOKENS = PAGE_TOKENS * TieredKvCache.GROUP_PAGES;

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void shouldKeepGroupBoundsEqualToTheBoundsOfTheGroupsKeysAcrossAppendsAndMigrations(ElementType type) {
        ModelShape shape = new ModelShape(2, KV_HEADS, HEAD_DIM, 200);
        int tokens1 = 2 * GROUP_TOKENS + 5; // two full groups and a partial one, last page half full
        int tokens2 = 3 * GROUP_TOKENS + 3;
        float[][][] keys = new float[2][tokens2][];
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(PAGE_TOKENS).elementType(type)
                .fastTierPages(40).slowTierPages(200).build();
                Sequence seq = cache.newSequence()) {
            SplittableRandom rnd = new SplittableRandom(11);
            append(seq, keys, 0, tokens1, rnd, type);
            checkGroups(seq, keys, tokens1);
            // Pages beyond the fast tier's 40 went to the slow tier; move some both ways, then append
            // into a migrated page and into new groups.
            cache.migrate(seq.pageHandle(0, 0), TierKind.SLOW);
            cache.migrate(seq.pageHandle(1, 17), TierKind.SLOW);
            int last = seq.pageCount(0) - 1;
            if (cache.tierOf(seq.pageHandle(0, last)) == TierKind.FAST) {
                cache.migrate(seq.pageHandle(0, last), TierKind.SLOW);
            } else {
                cache.migrate(seq.pageHandle(0, last), TierKind.FAST);
            }
            checkGroups(seq, keys, tokens1);
            append(seq, keys, tokens1, tokens2, rnd, type);
            checkGroups(seq, keys, tokens2);
        }
    }

    @Test
    void shouldKeepEachSequencesGroupBoundsApartWhenRecordsAreReusedWithEveryPageOfTheCacheInUse() {
        // 80 pages in all (each append fills both layers). Round 1: three sequences take every page,
        // two of them appending in turn so that their pages and groups interleave. Round 2, after
        // closing two of them: new sequences, most of one page (a group each), reuse the freed records.
        ModelShape shape = new ModelShape(2, KV_HEADS, HEAD_DIM, 200);
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(PAGE_TOKENS)
                .fastTierPages(30).slowTierPages(50).build()) {
            SplittableRandom rnd = new SplittableRandom(5);
            Sequence a = cache.newSequence();
            Sequence b = cache.newSequence();
            Sequence c = cache.newSequence();
            float[][][] ka = new float[2][200][];
            float[][][] kb = new float[2][200][];
            float[][][] kc = new float[2][200][];
            append(c, kc, 0, 1, rnd, ElementType.F32); // 1 page per layer: 2 pages, 2 groups
            int ta = 0;
            int tb = 0;
            for (int i = 0; i < 18; i++) { // a and b alternate page by page: 2 groups per layer each
                append(a, ka, ta, ta + PAGE_TOKENS, rnd, ElementType.F32);
                ta += PAGE_TOKENS;
                append(b, kb, tb, tb + PAGE_TOKENS, rnd, ElementType.F32);
                tb += PAGE_TOKENS;
            }
            append(a, ka, ta, ta + 3 * PAGE_TOKENS - 1, rnd, ElementType.F32); // last page half full
            ta += 3 * PAGE_TOKENS - 1;
            assertEquals(0, cache.freePages(TierKind.FAST) + cache.freePages(TierKind.SLOW));
            checkGroups(a, ka, ta);
            checkGroups(b, kb, tb);
            checkGroups(c, kc, 1);
            a.close();
            c.close();
            checkGroups(b, kb, tb);
            // 44 pages are free again: 6 one-page sequences (12 pages) and a group-long one (32) take them.
            Sequence[] small = new Sequence[6];
            float[][][][] ks = new float[small.length][2][200][];
            for (int i = 0; i < small.length; i++) {
                small[i] = cache.newSequence();
                append(small[i], ks[i], 0, 1, rnd, ElementType.F32);
            }
            Sequence d = cache.newSequence();
            float[][][] kd = new float[2][200][];
            append(d, kd, 0, GROUP_TOKENS, rnd, ElementType.F32);
            assertEquals(0, cache.freePages(TierKind.FAST) + cache.freePages(TierKind.SLOW));
            for (int i = 0; i < small.length; i++) {
                checkGroups(small[i], ks[i], 1);
            }
            checkGroups(d, kd, GROUP_TOKENS);
            checkGroups(b, kb, tb);
            for (Sequence s : small) {
                s.close();
            }
            d.close();
            b.close();
            assertEquals(80, cache.freePages(TierKind.FAST) + cache.freePages(TierKind.SLOW));
        }
    }

    @Test
    void shouldReturnGroupRecordsWhenSequencesCloseSoThatOnePageGroupsCanFillTheCacheAgainAndAgain() {
        ModelShape shape = new ModelShape(2, KV_HEADS, HEAD_DIM, 200);
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(PAGE_TOKENS).fastTierPages(8)
                .slowTierPages(12).build()) {
            SplittableRandom rnd = new SplittableRandom(9);
            for (int round = 0; round < 5; round++) {
                Sequence[] seqs = new Sequence[10]; // one page per layer each: as many groups as pages
                float[][][][] keys = new float[seqs.length][2][200][];
                for (int i = 0; i < seqs.length; i++) {
                    seqs[i] = cache.newSequence();
                    append(seqs[i], keys[i], 0, PAGE_TOKENS, rnd, ElementType.F32);
                }
                for (int i = 0; i < seqs.length; i++) {
                    checkGroups(seqs[i], keys[i], PAGE_TOKENS);
                    seqs[i].close();
                }
            }
        }
    }

    @Test
    void shouldRejectBadArgumentsWhenReadingGroupBounds() {
        ModelShape shape = new ModelShape(1, KV_HEADS, HEAD_DIM, 200);
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(PAGE_TOKENS).fastTierPages(100)
                .slowTierPages(0).build();
                Sequence seq = cache.newSequence()) {
            float[] a = new float[HEAD_DIM];
            seq.append(0, new float[shape.kvWidth()], new float[shape.kvWidth()]);
            var head = assertThrows(IllegalArgumentException.class, () -> seq.readGroupKeyBounds(0, 0, 2, a, a));
            assertEquals(true, head.getMessage().contains("kvHead 2"), head.getMessage());
            assertThrows(IllegalArgumentException.class, () -> seq.readGroupKeyBounds(0, 0, -1, a, a));
            assertThrows(IllegalArgumentException.class, () -> seq.readGroupKeyBounds(0, 0, 0, new float[3], a));
            assertThrows(IllegalArgumentException.class, () -> seq.readGroupKeyBounds(1, 0, 0, a, a));
            var group = assertThrows(IndexOutOfBoundsException.class, () -> seq.readGroupKeyBounds(0, 1, 0, a, a));
            assertEquals(true, group.getMessage().contains("group 1"), group.getMessage());
        }
    }

    private static void append(Sequence seq, float[][][] keys, int from, int to, SplittableRandom rnd,
            ElementType type) {
        float[] v = new float[KV_HEADS * HEAD_DIM];
        for (int t = from; t < to; t++) {
            for (int layer = 0; layer < 2; layer++) {
                float[] k = new float[KV_HEADS * HEAD_DIM];
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) rnd.nextDouble(-3, 3);
                }
                seq.append(layer, k, v);
                float[] stored = new float[k.length];
                for (int i = 0; i < k.length; i++) {
                    stored[i] = type == ElementType.F32 ? k[i] : Float.float16ToFloat(Float.floatToFloat16(k[i]));
                }
                keys[layer][t] = stored;
            }
        }
    }

    /** Each group's bounds equal the min/max of its keys, and the min/max of its pages' bounds. */
    private static void checkGroups(Sequence seq, float[][][] keys, int tokens) {
        int groups = (tokens + GROUP_TOKENS - 1) / GROUP_TOKENS;
        float[] min = new float[HEAD_DIM];
        float[] max = new float[HEAD_DIM];
        float[] pageMin = new float[HEAD_DIM];
        float[] pageMax = new float[HEAD_DIM];
        for (int layer = 0; layer < 2; layer++) {
            for (int g = 0; g < groups; g++) {
                for (int h = 0; h < KV_HEADS; h++) {
                    float[] wantMin = new float[HEAD_DIM];
                    float[] wantMax = new float[HEAD_DIM];
                    java.util.Arrays.fill(wantMin, Float.POSITIVE_INFINITY);
                    java.util.Arrays.fill(wantMax, Float.NEGATIVE_INFINITY);
                    for (int t = g * GROUP_TOKENS; t < Math.min(tokens, (g + 1) * GROUP_TOKENS); t++) {
                        for (int d = 0; d < HEAD_DIM; d++) {
                            wantMin[d] = Math.min(wantMin[d], keys[layer][t][h * HEAD_DIM + d]);
                            wantMax[d] = Math.max(wantMax[d], keys[layer][t][h * HEAD_DIM + d]);
                        }
                    }
                    seq.readGroupKeyBounds(layer, g, h, min, max);
                    String where = "layer " + layer + " group " + g + " head " + h;
                    assertArrayEquals(wantMin, min, where);
                    assertArrayEquals(wantMax, max, where);
                    float[] fromPagesMin = new float[HEAD_DIM];
                    float[] fromPagesMax = new float[HEAD_DIM];
                    java.util.Arrays.fill(fromPagesMin, Float.POSITIVE_INFINITY);
                    java.util.Arrays.fill(fromPagesMax, Float.NEGATIVE_INFINITY);
                    int firstPage = g * TieredKvCache.GROUP_PAGES;
                    int endPage = Math.min(seq.pageCount(layer), firstPage + TieredKvCache.GROUP_PAGES);
                    for (int p = firstPage; p < endPage; p++) {
                        seq.readKeyBounds(layer, p, h, pageMin, pageMax);
                        for (int d = 0; d < HEAD_DIM; d++) {
                            fromPagesMin[d] = Math.min(fromPagesMin[d], pageMin[d]);
                            fromPagesMax[d] = Math.max(fromPagesMax[d], pageMax[d]);
                        }
                    }
                    assertArrayEquals(fromPagesMin, min, where + " vs its pages");
                    assertArrayEquals(fromPagesMax, max, where + " vs its pages");
                }
            }
        }
    }
}
