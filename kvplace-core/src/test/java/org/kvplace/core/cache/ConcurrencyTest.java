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
 * Two threads append to and attend over their own sequences, and read back earlier tokens, while
 * a third thread migrates pages of both sequences back and forth. Every read during the run and
 * every byte at the end must equal what was appended.
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
                                for (float x : out) {
                                    if (!Float.isFinite(x) || Math.abs(x) > 4f) {
                                        throw new AssertionError("attention output out of the value range: " + x);
                                    }
                                }
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
            Thread migrator = Thread.ofPlatform().name("migrator").start(() -> {
                SplittableRandom rnd = new SplittableRandom(99);
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
                        if (cache.tryMigrate(page, cache.tierOf(page).other())) {
                            migrations.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            for (Thread w : writers) {
                w.join();
            }
            writersDone.set(true);
            migrator.join();
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
}
