package org.kvplace.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.StaticPolicy;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;
import org.kvplace.core.trace.Traces;

class AnnealingSearchTest {

    // 4 layers x 4 KiB per token, fast room for about a third of the KV
    private static final ModelProfile MODEL = new ModelProfile("small", 4, 4096, 1_000_000, 1);
    private static final HardwareProfile HW = new HardwareProfile("small", 4.9e12, 4_000_000L + 16_000_000L,
            450e9, 450e9, 500e9, 1L << 40);

    private static TraceSource trace(double variation) {
        return TraceGenerator.source(new GeneratorConfig(3000, 64, 4, 1, 0.6, 4, 64, 0.5, variation, 11));
    }

    @Test
    void shouldEvaluateTheSamePointsInTheSameOrderOnAnyNumberOfThreads() throws IOException {
        Simulator sim = new Simulator(HW, MODEL);
        for (long seed = 1; seed <= 4; seed++) {
            for (double variation : new double[] {0.05, 0.3}) {
                AnnealingSearch.Outcome one = new AnnealingSearch(sim, 16, 12, seed).search(trace(variation));
                assertEquals(12, one.evaluated().size());
                for (int threads = 2; threads <= 4; threads++) {
                    AnnealingSearch.Outcome many = new AnnealingSearch(sim, 16, 12, seed).threads(threads)
                            .search(trace(variation));
                    String at = "seed " + seed + ", variation " + variation + ", " + threads + " threads";
                    assertEquals(describe(one.evaluated()), describe(many.evaluated()), at);
                    assertEquals(describe(List.of(one.best())), describe(List.of(many.best())), at);
                }
            }
        }
    }

    @Test
    void shouldEvaluateTheSamePointsWhenItGuessesFromTheTimeOfTheRunningReplay() throws IOException {
        // 4 layers x 6,144 decoded tokens: 24,576 steps, three progress reports per replay, so
        // that the guesses extrapolate the running replay's time
        TraceSource held = Traces.inMemory(
                TraceGenerator.source(new GeneratorConfig(1024, 6144, 4, 1, 0.6, 4, 64, 0.5, 0.2, 5)), Long.MAX_VALUE);
        Simulator sim = new Simulator(HW, MODEL);
        for (long seed = 1; seed <= 2; seed++) {
            AnnealingSearch.Outcome one = new AnnealingSearch(sim, 12, 8, seed).search(held);
            AnnealingSearch.Outcome two = new AnnealingSearch(sim, 12, 8, seed).threads(2).search(held);
            assertEquals(describe(one.evaluated()), describe(two.evaluated()), "seed " + seed);
            assertEquals(describe(List.of(one.best())), describe(List.of(two.best())), "seed " + seed);
        }
    }

    @Test
    void shouldReplayTheNextPointBesideTheOneTheChainWaitsForAndLeaveNoneRunning() throws IOException {
        Simulator sim = new Simulator(HW, MODEL);
        Counting two = new Counting(trace(0.1), true);
        AnnealingSearch.Outcome o = new AnnealingSearch(sim, 16, 8, 2).threads(2).search(two);
        assertEquals(8, o.evaluated().size());
        assertTrue(two.maxOpen.get() >= 2, "never two replays at once: " + two.maxOpen.get());
        assertEquals(0, two.open.get(), "replays still open after the search returned");
        assertTrue(two.opened.get() >= 8 && two.opened.get() <= o.replays(),
                "opened " + two.opened.get() + ", started " + o.replays());

        Counting one = new Counting(trace(0.1), false);
        assertEquals(8, new AnnealingSearch(sim, 16, 8, 2).search(one).replays());
        assertEquals(1, one.maxOpen.get());
        assertEquals(8, one.opened.get(), "one thread replays each evaluated point once");
    }

    @Test
    void shouldPassOnTheFailureOfAReplayTheChainNeeds() {
        Simulator sim = new Simulator(HW, MODEL);
        TraceSource broken = () -> {
            throw new IOException("no such trace: t.kvpt");
        };
        IOException e = assertThrows(IOException.class,
                () -> new AnnealingSearch(sim, 16, 8, 2).threads(2).search(broken));
        assertEquals("no such trace: t.kvpt", e.getMessage());
    }

    @Test
    void shouldRejectNoThreads() {
        Simulator sim = new Simulator(HW, MODEL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AnnealingSearch(sim, 16, 8, 2).threads(0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
    }

    @Test
    void shouldReadAheadOnASecondThreadOnlyATraceNotHeldInMemory() throws IOException {
        // 4 layers x 4,096 decoded tokens: 16,384 steps, long enough to be read ahead
        TraceSource generated = TraceGenerator.source(new GeneratorConfig(512, 4096, 4, 1, 0.6, 4, 64, 0.5, 0.1, 3));
        TraceSource held = Traces.inMemory(generated, Long.MAX_VALUE);
        for (TraceSource source : List.of(generated, held)) {
            boolean[] seen = {false};
            Simulator sim = new Simulator(HW, MODEL).progress((done, total) -> {
                if (done < total) {
                    seen[0] |= Thread.getAllStackTraces().keySet().stream()
                            .anyMatch(t -> t.getName().equals("kvplace-trace-read-ahead") && t.isAlive());
                }
            });
            SimulationResult r = sim.run(source, new StaticPolicy());
            assertEquals(source == generated, seen[0], source == generated ? "generated" : "held in memory");
            assertTrue(r.totalTime() > 0);
        }
    }

    private static String describe(List<AnnealingSearch.Point> points) {
        StringBuilder b = new StringBuilder();
        for (AnnealingSearch.Point p : points) {
            b.append(p.window()).append('/').append(p.fraction()).append('=').append(p.result().totalTime())
                    .append(' ');
        }
        return b.toString();
    }

    /**
     * Counts the traces open at once. With {@code waitForSecond}, the first open waits (up to
     * 10 s) until a second one is opened, so that two replays started together overlap.
     */
    private static final class Counting implements TraceSource {
        final TraceSource inner;
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final AtomicInteger opened = new AtomicInteger();
        final CountDownLatch second = new CountDownLatch(2);
        final boolean waitForSecond;

        Counting(TraceSource inner, boolean waitForSecond) {
            this.inner = inner;
            this.waitForSecond = waitForSecond;
        }

        @Override
        public AccessTrace open() throws IOException {
            AccessTrace t = inner.open();
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            opened.incrementAndGet();
            second.countDown();
            if (waitForSecond) {
                try {
                    second.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new AccessTrace() {
                @Override
                public TraceHeader header() {
                    return t.header();
                }

                @Override
                public boolean next(TraceStep into) throws IOException {
                    return t.next(into);
                }

                @Override
                public void close() throws IOException {
                    open.decrementAndGet();
                    t.close();
                }
            };
        }
    }
}
