package org.kvplace.testkit.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.Placement;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.trace.StepReads;
import org.kvplace.core.engine.EngineStats;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;
import org.kvplace.core.engine.StepTimes;
import org.kvplace.testkit.placement.ChaosPolicy;

class EngineTest {

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A value in [-4, 4) determined by its coordinates; kind 0 = key, 1 = value, 2 = query. */
    static float value(int seq, int layer, int token, int kind, int i) {
        long h = mix(mix(mix(mix(seq * 0x9E3779B97F4A7C15L + layer) + token) + kind) + i);
        return ((h >>> 40) / (float) (1 << 24) - 0.5f) * 8f;
    }

    static void fill(float[] dst, int seq, int layer, int token, int kind) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] = value(seq, layer, token, kind, i);
        }
    }

    private static TieredKvCache.Builder cache(ModelShape shape, int fastPages, int slowPages) {
        return TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(fastPages).slowTierPages(slowPages);
    }

    /** Decodes {@code tokens} tokens of sequence {@code s}, appending, attending and ending each step. */
    private static void decode(KvSequence s, ModelShape shape, int queryHeads, int tokens) {
        float[] k = new float[shape.kvWidth()];
        float[] v = new float[shape.kvWidth()];
        float[] q = new float[queryHeads * shape.headDim()];
        float[] out = new float[q.length];
        int id = s.id();
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < shape.layers(); l++) {
                fill(k, id, l, t, 0);
                fill(v, id, l, t, 1);
                s.append(l, k, v);
                fill(q, id, l, t, 2);
                s.attend(l, q, out);
            }
            s.endStep();
        }
    }

    private static void assertIntact(KvSequence s, ModelShape shape, int tokens) {
        assertIntact(s, shape, tokens, false);
    }

    /** {@code slowCopies}: read every token from its page's slow copy (an inclusive cache has one of each). */
    private static void assertIntact(KvSequence s, ModelShape shape, int tokens, boolean slowCopies) {
        float[] got = new float[shape.kvWidth()];
        for (int l = 0; l < shape.layers(); l++) {
            for (int t = 0; t < tokens; t++) {
                if (slowCopies) {
                    s.sequence().readKey(l, t, got, TierKind.SLOW);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(value(s.id(), l, t, 0, i), got[i], "slow copy of key " + i + " of token " + t
                                + " layer " + l + " sequence " + s.id());
                    }
                    s.sequence().readValue(l, t, got, TierKind.SLOW);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(value(s.id(), l, t, 1, i), got[i], "slow copy of value " + i + " of token " + t
                                + " layer " + l + " sequence " + s.id());
                    }
                }
                s.sequence().readKey(l, t, got);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(value(s.id(), l, t, 0, i), got[i], "key " + i + " of token " + t + " layer " + l
                            + " sequence " + s.id());
                }
                s.sequence().readValue(l, t, got);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(value(s.id(), l, t, 1, i), got[i], "value " + i + " of token " + t + " layer " + l
                            + " sequence " + s.id());
                }
            }
        }
    }

    @ParameterizedTest(name = "inclusive={0}")
    @ValueSource(booleans = {false, true})
    @Timeout(120)
    void shouldKeepEveryByteWhileEightSequencesMigrateAtOnce(boolean inclusive) throws InterruptedException {
        ModelShape shape = new ModelShape(2, 2, 8, 2_048);
        int sequences = 8;
        int tokens = 1_500;
        int pagesPerSeq = shape.layers() * (tokens / 16 + 1);
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, sequences * pagesPerSeq / 4, sequences * pagesPerSeq)
                        .inclusive(inclusive))
                .queryHeads(4).budgetTokens(256).maxSequences(sequences)
                .policy(() -> new ChaosPolicy(42, 3)).build()) {
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            KvSequence[] seqs = new KvSequence[sequences];
            Thread[] threads = new Thread[sequences];
            for (int i = 0; i < sequences; i++) {
                KvSequence s = kv.newSequence();
                seqs[i] = s;
                threads[i] = Thread.ofPlatform().start(() -> {
                    try {
                        decode(s, shape, 4, tokens);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
            }
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(failures.isEmpty(), () -> "decode threads failed: " + failures);
            EngineStats all = kv.stats();
            assertEquals((long) sequences * tokens, all.steps());
            StepTimes times = kv.stepTimes();
            assertEquals((long) sequences * tokens, times.steps());
            assertTrue(0 < times.p50Nanos() && times.p50Nanos() <= times.p90Nanos()
                    && times.p90Nanos() <= times.p99Nanos() && times.p99Nanos() <= times.maxNanos(), times.toString());
            assertTrue(times.maxNanos() <= all.stepNanos(), "no step longer than all steps together: " + times);
            assertTrue(all.promotions() > 0 && all.demotions() > 0, "the chaos policy moved pages: " + all);
            if (inclusive) {
                // Demotions cost the link nothing there: the decode threads carried them out at once.
                assertTrue(all.decodeMoveNanos() > 0, all.toString());
            }
            assertTrue(all.bytesReadFast() > 0 && all.bytesReadSlow() > 0, all.toString());
            assertTrue(kv.cache().freePages(TierKind.FAST) >= 0);
            for (KvSequence s : seqs) {
                assertIntact(s, shape, tokens, inclusive);
            }
            // A closed sequence returns its pages and its share: a new one can start.
            int pagesOfSeq0 = shape.layers() * ((tokens + 15) / 16);
            int fastOfSeq0 = 0;
            for (int l = 0; l < shape.layers(); l++) {
                for (int p = 0; p < seqs[0].sequence().pageCount(l); p++) {
                    fastOfSeq0 += kv.cache().tierOf(seqs[0].sequence().pageHandle(l, p)) == TierKind.FAST ? 1 : 0;
                }
            }
            int fastBefore = kv.cache().freePages(TierKind.FAST);
            int slowBefore = kv.cache().freePages(TierKind.SLOW);
            seqs[0].close();
            assertEquals(fastBefore + fastOfSeq0, kv.cache().freePages(TierKind.FAST), "fast slots returned");
            assertEquals(slowBefore + (inclusive ? pagesOfSeq0 : pagesOfSeq0 - fastOfSeq0),
                    kv.cache().freePages(TierKind.SLOW), "slow slots returned");
            KvSequence again = kv.newSequence();
            decode(again, shape, 4, 40);
            assertIntact(again, shape, 40, inclusive);
        }
    }

    @Test
    void shouldPlaceNewPagesWhereThePolicySays() {
        ModelShape shape = new ModelShape(2, 1, 8, 256);
        PlacementPolicy slowOnly = new PlacementPolicy() {
            @Override
            public String name() {
                return "slow-only";
            }

            @Override
            public void start(Placement placement) {}

            @Override
            public boolean placeNew(int layer, int unit, Lookahead f, Placement p, MigrationPlan plan) {
                return false;
            }

            @Override
            public void plan(StepReads reads, Lookahead f, Placement p, MigrationPlan plan) {}
        };
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 64, 64)).policy(() -> slowOnly).build();
                KvSequence s = kv.newSequence()) {
            decode(s, shape, 1, 100);
            assertEquals(0, kv.cache().capacityPages(TierKind.FAST) - kv.cache().freePages(TierKind.FAST),
                    "no page in the fast tier");
            assertEquals(2 * 7, s.stats().newPagesSlow());
            assertEquals(0, s.stats().bytesReadFast());
            assertIntact(s, shape, 100);
        }
    }

    @Test
    void staticFillsItsShareThenSpills() {
        ModelShape shape = new ModelShape(2, 1, 8, 512);
        // 12 fast pages, one sequence: share 12 less one page per layer = 10 pages for the policy.
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 12, 64)).policy("static").build();
                KvSequence s = kv.newSequence()) {
            decode(s, shape, 1, 16 * 10);
            EngineStats st = s.stats();
            assertEquals(10, st.newPagesFast());
            assertEquals(10, st.newPagesSlow());
            assertEquals(0, st.promotions() + st.demotions());
        }
    }

    @Test
    @Timeout(60)
    void reactivePromotesWhatSparseAttentionReads() {
        ModelShape shape = new ModelShape(1, 1, 8, 4_096);
        // Synchronous, so that no new page meets a fast tier still full of demotions a busy
        // machine has not carried out yet (that is a fallback, counted, not an error).
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 40, 512)).budgetTokens(128).oversample(0)
                .policy("reactive").synchronousMigration(true).build();
                KvSequence s = kv.newSequence()) {
            decode(s, shape, 1, 2_000);
            EngineStats st = s.stats();
            assertTrue(st.promotions() > 0, st.toString());
            assertEquals(0, st.failedMoves(), st.toString());
            assertEquals(0, st.placementFallbacks(), st.toString());
            // The engine times its own work apart from the attention it wraps.
            assertTrue(st.attentionNanos() > 0 && st.engineNanos() > 0, st.toString());
            assertTrue(st.attentionNanos() + st.engineNanos() < st.stepNanos(), st.toString());
            assertEquals((double) st.engineNanos() / st.attentionNanos(), st.engineShare(), 1e-12);
            assertIntact(s, shape, 2_000);
        }
    }

    @ParameterizedTest(name = "inclusive={0}")
    @ValueSource(booleans = {false, true})
    void promotionsOfPagesJustReadFromTheSlowTierCrossTheLinkOnceWhenInclusive(boolean inclusive) {
        ModelShape shape = new ModelShape(1, 1, 8, 4_096);
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 16, 512).inclusive(inclusive).slowTierBandwidth(1e15))
                .budgetTokens(128).oversample(0).policy("reactive").synchronousMigration(true).build();
                KvSequence s = kv.newSequence()) {
            decode(s, shape, 1, 1_500);
            EngineStats st = s.stats();
            long pageBytes = kv.cache().layout().pageBytes();
            long slowRead = kv.cache().tier(TierKind.SLOW).bytesRead();
            assertTrue(st.promotions() > 200, st.toString());
            if (inclusive) {
                // Reactive promotes the pages the step missed, which the slow lane has just read.
                assertTrue(slowRead <= st.bytesReadSlow(), slowRead + " bytes read from the slow tier, of which "
                        + st.bytesReadSlow() + " by the lanes: " + st);
                assertEquals(0, kv.cache().tier(TierKind.SLOW).bytesWritten() % kv.cache().layout().tokenBytes(),
                        "the slow tier is written tokens (appends), never pages (demotions)");
            } else {
                assertTrue(slowRead >= st.promotions() * pageBytes, slowRead + " bytes read: " + st);
            }
            assertIntact(s, shape, 1_500, inclusive);
        }
    }

    @Test
    void balanceOnAnInclusiveCacheHoldsTheReadPagesInTheFastTier() {
        // Priced as the paper's inclusive model: the lanes split the reads of a page held in both
        // tiers, so holding every read page costs nothing, and a promotion of a page just read from
        // the slow tier costs only its fast write. Rates fixed (no measured bandwidth), so the run
        // is deterministic: 53.8% of the pages read over the last 500 steps are fast; balance
        // priced by the exclusive model holds 46.5% (it aims at the balanced share and pays a
        // slow read and two fast accesses per copy). The fast tier has room for 15 of 94 pages.
        ModelShape shape = new ModelShape(1, 1, 8, 4_096);
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 16, 512).inclusive(true).slowTierBandwidth(0.45e9))
                .modelFastBytesPerSecond(4.9e9).budgetTokens(128).oversample(0).policy("balance")
                .synchronousMigration(true).build();
                KvSequence s = kv.newSequence()) {
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            float[] q = new float[shape.headDim()];
            float[] out = new float[q.length];
            long read = 0, fast = 0;
            for (int t = 0; t < 1_500; t++) {
                fill(k, s.id(), 0, t, 0);
                fill(v, s.id(), 0, t, 1);
                s.append(0, k, v);
                fill(q, s.id(), 0, t, 2);
                s.attend(0, q, out);
                if (t >= 1_000) {
                    for (int i = 0; i < s.lastReadCount(); i++) {
                        long h = s.sequence().pageHandle(0, s.lastReadPage(i));
                        fast += kv.cache().tierOf(h) == TierKind.FAST ? 1 : 0;
                        read++;
                    }
                }
                s.endStep();
            }
            assertTrue(fast >= 0.5 * read, fast + " of " + read + " pages read over the last 500 steps were fast: "
                    + s.stats());
            long slowRead = kv.cache().tier(TierKind.SLOW).bytesRead();
            assertTrue(slowRead <= s.stats().bytesReadSlow(), slowRead + " bytes read from the slow tier, of which "
                    + s.stats().bytesReadSlow() + " by the lanes");
            assertIntact(s, shape, 1_500, true);
        }
    }

    @Test
    void attentionIsTheSameUnderEveryPolicy() {
        ModelShape shape = new ModelShape(2, 2, 8, 1_024);
        float[][] outs = new float[3][];
        String[] names = {"static", "reactive", "chaos"};
        for (int p = 0; p < names.length; p++) {
            String name = names[p];
            KvPlace.Builder b = KvPlace.builder().cache(cache(shape, 20, 256)).queryHeads(4).budgetTokens(128);
            b = name.equals("chaos") ? b.policy(() -> new ChaosPolicy(7, 4)) : b.policy(name);
            try (KvPlace kv = b.build(); KvSequence s = kv.newSequence()) {
                decode(s, shape, 4, 600);
                float[] q = new float[4 * shape.headDim()];
                float[] out = new float[q.length];
                float[] k = new float[shape.kvWidth()];
                fill(k, 0, 0, 600, 0);
                s.append(0, k, k);
                fill(q, 0, 0, 600, 2);
                s.attend(0, q, out);
                outs[p] = out;
            }
        }
        for (int p = 1; p < names.length; p++) {
            for (int i = 0; i < outs[0].length; i++) {
                // Bit for bit: pages merge in page order whichever tier they were read from.
                assertEquals(Float.floatToRawIntBits(outs[0][i]), Float.floatToRawIntBits(outs[p][i]),
                        names[p] + " output " + i + ": " + outs[p][i] + " vs " + outs[0][i]);
            }
        }
    }

    @Test
    void badInputIsRejectedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvPlace.builder().policy("nosuch"));
        assertTrue(e.getMessage().contains("nosuch"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KvPlace.builder().budgetTokens(0));
        assertThrows(IllegalArgumentException.class, () -> KvPlace.builder().migrationBudgetBytes(0));
        assertThrows(IllegalArgumentException.class, () -> KvPlace.builder().maxSequences(0));
        assertThrows(IllegalStateException.class, () -> KvPlace.builder().build());
    }

    @Test
    void anImpossiblePlanNamesTheUnitAndAppliesNothing() {
        ModelShape shape = new ModelShape(1, 1, 8, 256);
        PlacementPolicy broken = new PlacementPolicy() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public void start(Placement placement) {}

            @Override
            public boolean placeNew(int layer, int unit, Lookahead f, Placement p, MigrationPlan plan) {
                return true;
            }

            @Override
            public void plan(StepReads reads, Lookahead f, Placement p, MigrationPlan plan) {
                plan.demote(0, 0);
                plan.promote(0, 77);
            }
        };
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 8, 32)).policy(() -> broken).build();
                KvSequence s = kv.newSequence()) {
            float[] k = new float[shape.kvWidth()];
            float[] q = new float[shape.kvWidth()];
            s.append(0, k, k);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.attend(0, q, new float[8]));
            assertTrue(e.getMessage().contains("broken") && e.getMessage().contains("unit 77"), e.getMessage());
            assertEquals(0, s.stats().pendingMoves(), "nothing of the plan was queued");
            assertEquals(TierKind.FAST, kv.cache().tierOf(s.sequence().pageHandle(0, 0)));
        }
    }

    @Test
    @Timeout(60)
    void closingWithMovesInFlightLeavesNoThreadAndNoPage() throws InterruptedException {
        ModelShape shape = new ModelShape(2, 1, 8, 2_048);
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        KvPlace kv = KvPlace.builder().cache(cache(shape, 30, 300)).budgetTokens(64)
                .policy(() -> new ChaosPolicy(3, 8)).build();
        KvSequence s = kv.newSequence();
        decode(s, shape, 1, 500);
        assertTrue(s.stats().pendingMoves() + s.stats().promotions() > 0, "moves were planned");
        Thread worker = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.getName().equals("kvplace-migration"))
                .findFirst().orElseThrow(() -> new AssertionError("no migration worker thread"));
        kv.close();
        assertTrue(s.isClosed());
        assertTrue(kv.cache().isClosed());
        assertFalse(worker.isAlive(), "the migration worker stopped");
        assertThrows(IllegalStateException.class, kv::newSequence);
        assertThrows(IllegalStateException.class, s::endStep);
        kv.close(); // idempotent
    }

    @Test
    void aSequenceClosedMidStepRejectsFurtherCalls() {
        ModelShape shape = new ModelShape(2, 1, 8, 256);
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 16, 64)).policy("reactive").build()) {
            KvSequence s = kv.newSequence();
            float[] k = new float[shape.kvWidth()];
            s.append(0, k, k);
            s.attend(0, k, new float[8]);
            s.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.append(1, k, k));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertEquals(0, kv.liveSequences());
            assertEquals(16, kv.cache().freePages(TierKind.FAST));
        }
    }

    @Test
    void maxSequencesIsEnforced() {
        ModelShape shape = new ModelShape(1, 1, 8, 64);
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 8, 8)).maxSequences(2).build()) {
            kv.newSequence();
            KvSequence b = kv.newSequence();
            IllegalStateException e = assertThrows(IllegalStateException.class, kv::newSequence);
            assertTrue(e.getMessage().contains("maxSequences=2"), e.getMessage());
            b.close();
            kv.newSequence();
        }
    }

    @Test
    void shouldRejectHugeFiniteValuesBeforeThePolicyPlacesAPage() {
        ModelShape shape = new ModelShape(1, 2, 8, 64);
        int[] placed = new int[1];
        PlacementPolicy counting = new PlacementPolicy() {
            @Override
            public String name() {
                return "counting";
            }

            @Override
            public void start(Placement p) {}

            @Override
            public boolean placeNew(int layer, int unit, Lookahead f, Placement p, MigrationPlan plan) {
                placed[0]++;
                return true;
            }

            @Override
            public void plan(StepReads reads, Lookahead f, Placement p, MigrationPlan plan) {}
        };
        try (KvPlace kv = KvPlace.builder().cache(cache(shape, 4, 4)).policy(() -> counting).build();
                KvSequence s = kv.newSequence()) {
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            k[5] = 3e38f;
            var e = assertThrows(IllegalArgumentException.class, () -> s.append(0, k, v));
            assertTrue(e.getMessage().contains("k[5]=3.0E38") && e.getMessage().contains("largest magnitude"),
                    e.getMessage());
            assertEquals(0, s.sequence().tokens(0));
            assertEquals(0, placed[0], "the policy placed a page for a rejected append");
            assertEquals(0, s.stats().newPagesFast() + s.stats().newPagesSlow(), "no page placed");
        }
    }
}
