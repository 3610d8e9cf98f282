package org.kvplace.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.kvplace.core.memory.TierKind;
import org.junit.jupiter.api.Test;

/**
 * Two threads append to and attend (dense and sparse) over their own sequences, and read back
 * earlier tokens, while two more threads migrate random pages of both sequences back and forth
 * (sometimes the same page at once). Every attention output must match a double-precision
 * reference of what was appended, every read during the run and every byte at the end must equal
 * what was appended, and no slot may leak.
 */
class ConcurrencyTest {

    @Test
    void shouldKeepDataIntactWhileAnotherThreadMigrates() throws InterruptedException {
        int tokens = 3_000;
        int layers = 4;
        ModelShape shape = new ModelShape(layers, 2, 8, tokens);
        int pages = (tokens + 15) / 16 * layers * 2;
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(16)
                .fastTierPages(pages / 3).slowTierPages(pages).build()) {
            Sequence[] seqs = {cache.newSequence(), cache.newSequence()};
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean writersDone = new AtomicBoolean();
            AtomicInteger attends = new AtomicInteger();
            AtomicInteger migrations = new AtomicInteger();

            Thread[] writers = new Thread[2];
            for (int w = 0; w < 2; w++) {
                Sequence seq = seqs[w];
                writers[w] = Thread.ofPlatform().name("writer-" + w).start(() -> {
                    try {
                        SplittableRandom rnd = new SplittableRandom(seq.id());
                        float[] k = new float[shape.kvWidth()];
                        float[] v = new float[shape.kvWidth()];
                        float[] q = new float[2 * shape.kvWidth()];
                        float[] out = new float[q.length];
                        float[] got = new float[shape.kvWidth()];
                        for (int t = 0; t < tokens; t++) {
                            for (int l = 0; l < layers; l++) {
                                TestData.fill(k, seq.id(), l, t, 0);
                                TestData.fill(v, seq.id(), l, t, 1);
                                seq.append(l, k, v);
                            }
                            if (t % 50 == 49) {
                                int l = rnd.nextInt(layers);
                                TestData.fill(q, seq.id(), l, t, 2);
                                seq.attend(l, q, out);
                                AttentionAccuracyTest.assertClose(reference(seq.id(), l, q, shape, 0, t + 1), out);
                                // sparse: the sink page and the newest page only
                                int last = t / 16;
                                int[] sparse = last == 0 ? new int[] {0} : new int[] {0, last};
                                seq.attend(l, q, out, sparse, sparse.length);
                                double[] want = reference(seq.id(), l, q, shape, 0, Math.min(16, t + 1));
                                if (last > 0) {
                                    want = referenceOf(seq.id(), l, q, shape, concat(range(0, 16), range(last * 16, t + 1)));
                                }
                                AttentionAccuracyTest.assertClose(want, out);
                                attends.incrementAndGet();
                            }
                            if (t % 100 == 99) {
                                // Pace the writers so that migrations interleave with them whatever the scheduler does.
                                awaitAtLeast(migrations, (t / 100 + 1) * 70, failures);
                            }
                            int l = rnd.nextInt(layers);
                            int old = rnd.nextInt(t + 1);
                            seq.readValue(l, old, got);
                            IntegrityTest.check(got, seq.id(), l, old, 1);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
            }
            Thread[] migrators = new Thread[2];
            for (int m = 0; m < migrators.length; m++) {
              int seed = 99 + m;
              migrators[m] = Thread.ofPlatform().name("migrator-" + m).start(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                try {
                    while (!writersDone.get()) {
                        Sequence seq = seqs[rnd.nextInt(2)];
                        int l = rnd.nextInt(layers);
                        int n = seq.pageCount(l);
                        if (n == 0) {
                            Thread.onSpinWait();
                            continue;
                        }
                        long page = seq.pageHandle(l, rnd.nextInt(n));
                        try {
                            if (cache.tryMigrate(page, cache.tierOf(page).other())) {
                                migrations.incrementAndGet();
                            }
                        } catch (IllegalArgumentException e) {
                            // the other migrator moved the page between tierOf and tryMigrate
                            if (!e.getMessage().contains("already in tier")) {
                                throw e;
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
              });
            }
            for (Thread w : writers) {
                w.join();
            }
            writersDone.set(true);
            for (Thread m : migrators) {
                m.join();
            }
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("concurrent run failed: " + failures.peek());
                failures.forEach(e::addSuppressed);
                throw e;
            }
            assertTrue(migrations.get() >= 2_100, "too few migrations overlapped the writers: " + migrations.get());
            assertEquals(2 * tokens / 50, attends.get());

            float[] got = new float[shape.kvWidth()];
            for (Sequence seq : seqs) {
                for (int l = 0; l < layers; l++) {
                    for (int t = 0; t < tokens; t++) {
                        seq.readKey(l, t, got);
                        IntegrityTest.check(got, seq.id(), l, t, 0);
                        seq.readValue(l, t, got);
                        IntegrityTest.check(got, seq.id(), l, t, 1);
                    }
                }
                seq.close();
            }
            assertEquals(cache.capacityPages(TierKind.FAST), cache.freePages(TierKind.FAST));
            assertEquals(cache.capacityPages(TierKind.SLOW), cache.freePages(TierKind.SLOW));
        }
    }

    private static void awaitAtLeast(AtomicInteger counter, int target, ConcurrentLinkedQueue<Throwable> failures) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (counter.get() < target) {
            if (!failures.isEmpty() || System.nanoTime() > deadline) {
                throw new AssertionError("migrator stalled at " + counter.get() + " migrations, waiting for " + target);
            }
            Thread.yield();
        }
    }

    static int[] range(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    static int[] concat(int[] a, int[] b) {
        return java.util.stream.IntStream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray();
    }

    static double[] reference(int seq, int layer, float[] q, ModelShape shape, int from, int to) {
        return referenceOf(seq, layer, q, shape, range(from, to));
    }

    /** Attention reference over the given tokens, recomputing the appended values from {@link TestData}. */
    static double[] referenceOf(int seq, int layer, float[] q, ModelShape shape, int[] tokens) {
        int max = java.util.Arrays.stream(tokens).max().orElse(0) + 1;
        double[][] keys = new double[max][];
        double[][] values = new double[max][];
        for (int t : tokens) {
            keys[t] = new double[shape.kvWidth()];
            values[t] = new double[shape.kvWidth()];
            for (int i = 0; i < shape.kvWidth(); i++) {
                keys[t][i] = TestData.value(seq, layer, t, 0, i);
                values[t][i] = TestData.value(seq, layer, t, 1, i);
            }
        }
        return AttentionAccuracyTest.reference(q, keys, values, shape.kvHeads(), shape.headDim(), tokens);
    }

    /** Two threads migrate the same page back and forth while a third reads it. */
    @Test
    void shouldKeepAPageIntactWhenTwoThreadsMigrateItAtOnce() throws InterruptedException {
        ModelShape shape = new ModelShape(1, 2, 8, 64);
        try (TieredKvCache cache = TieredKvCache.builder().shape(shape).pageTokens(16)
                .fastTierPages(4).slowTierPages(4).build()) {
            Sequence seq = cache.newSequence();
            float[] k = new float[shape.kvWidth()];
            float[] v = new float[shape.kvWidth()];
            for (int t = 0; t < 40; t++) {
                TestData.fill(k, seq.id(), 0, t, 0);
                TestData.fill(v, seq.id(), 0, t, 1);
                seq.append(0, k, v);
            }
            long page = seq.pageHandle(0, 1);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean done = new AtomicBoolean();
            Thread[] threads = new Thread[3];
            for (int i = 0; i < 2; i++) {
                threads[i] = Thread.ofPlatform().start(() -> {
                    try {
                        for (int n = 0; n < 20_000; n++) {
                            TierKind now = cache.tierOf(page);
                            try {
                                cache.tryMigrate(page, now.other());
                            } catch (IllegalArgumentException e) {
                                // the other thread moved it first: "already in tier" is the documented answer
                                if (!e.getMessage().contains("already in tier")) {
                                    throw e;
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
            }
            threads[2] = Thread.ofPlatform().start(() -> {
                float[] got = new float[shape.kvWidth()];
                try {
                    while (!done.get()) {
                        for (int t = 16; t < 32; t++) {
                            seq.readKey(0, t, got);
                            IntegrityTest.check(got, seq.id(), 0, t, 0);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads[0].join();
            threads[1].join();
            done.set(true);
            threads[2].join();
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("concurrent migration of one page failed: " + failures.peek());
                failures.forEach(e::addSuppressed);
                throw e;
            }
            float[] got = new float[shape.kvWidth()];
            for (int t = 0; t < 40; t++) {
                seq.readKey(0, t, got);
                IntegrityTest.check(got, seq.id(), 0, t, 0);
                seq.readValue(0, t, got);
                IntegrityTest.check(got, seq.id(), 0, t, 1);
            }
            seq.close();
            assertEquals(4, cache.freePages(TierKind.FAST), "fast slots leaked");
            assertEquals(4, cache.freePages(TierKind.SLOW), "slow slots leaked");
        }
    }
}
