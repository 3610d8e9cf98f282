package org.kvplace.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.kvplace.core.memory.TierKind;
import org.junit.jupiter.api.Test;

/**
 * Heavy migration never changes a byte: 10,000 tokens over 4 layers and 2 sequences, appended in
 * rounds with 1,000 random migrations after each round (both tiers are kept almost full, so many
 * migrations find their target full), then every K and V read back bit for bit.
 */
class IntegrityTest {

    static final int TOKENS = 10_000;
    static final int LAYERS = 4;
    static final int SEQUENCES = 2;

    @Test
    void shouldKeepEveryByteThroughHundredThousandRandomMigrations() {
        ModelShape shape = new ModelShape(LAYERS, 2, 8, TOKENS);
        int pagesNeeded = (TOKENS + 15) / 16 * LAYERS * SEQUENCES; // 5,000
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(16)
                .fastTierPages(1_200).slowTierPages(pagesNeeded - 1_200 + 100).build()) {
            Sequence[] seqs = {cache.newSequence(), cache.newSequence()};
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            SplittableRandom rnd = new SplittableRandom(7);
            int moved = 0;
            int refused = 0;
            int rounds = 100;
            for (int round = 0; round < rounds; round++) {
                int from = round * TOKENS / rounds;
                int to = (round + 1) * TOKENS / rounds;
                for (Sequence seq : seqs) {
                    for (int t = from; t < to; t++) {
                        for (int l = 0; l < LAYERS; l++) {
                            TestData.fill(k, seq.id(), l, t, 0);
                            TestData.fill(v, seq.id(), l, t, 1);
                            seq.append(l, k, v);
                        }
                    }
                }
                for (int m = 0; m < 1_000; m++) {
                    Sequence seq = seqs[rnd.nextInt(SEQUENCES)];
                    int layer = rnd.nextInt(LAYERS);
                    long page = seq.pageHandle(layer, rnd.nextInt(seq.pageCount(layer)));
                    TierKind target = cache.tierOf(page).other();
                    if (cache.tryMigrate(page, target)) {
                        moved++;
                        assertEquals(target, cache.tierOf(page));
                    } else {
                        refused++;
                        assertEquals(0, cache.freePages(target), "refused although " + target + " has room");
                        assertEquals(target.other(), cache.tierOf(page), "a refused migration moved the page");
                    }
                }
            }
            assertEquals(100_000, moved + refused);
            assertTrue(moved > 10_000, "moved " + moved);
            assertTrue(refused > 10_000, "refused (target full) " + refused);
            assertEquals(moved, cache.migrations());

            float[] got = new float[shape.kvWidth()];
            for (Sequence seq : seqs) {
                for (int l = 0; l < LAYERS; l++) {
                    assertEquals(TOKENS, seq.tokens(l));
                    for (int t = 0; t < TOKENS; t++) {
                        seq.readKey(l, t, got);
                        check(got, seq.id(), l, t, 0);
                        seq.readValue(l, t, got);
                        check(got, seq.id(), l, t, 1);
                    }
                }
            }
            for (Sequence seq : seqs) {
                seq.close();
            }
            assertEquals(cache.capacityPages(TierKind.FAST), cache.freePages(TierKind.FAST), "fast slots leaked");
            assertEquals(cache.capacityPages(TierKind.SLOW), cache.freePages(TierKind.SLOW), "slow slots leaked");
        }
    }

    static void check(float[] got, int seq, int layer, int token, int kind) {
        for (int i = 0; i < got.length; i++) {
            float want = TestData.value(seq, layer, token, kind, i);
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want)) {
                fail((kind == 0 ? "key" : "value") + " of sequence " + seq + " layer " + layer + " token " + token
                        + " element " + i + ": got " + got[i] + ", appended " + want);
            }
        }
    }
}
