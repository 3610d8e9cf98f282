package org.kvplace.core.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

@Timeout(60) // a lost wake-up parks a thread for good: the interrupt at the timeout fails the test instead
class PrefetchedTraceTest {

    private static final GeneratorConfig CFG = GeneratorConfig.parse("prompt=3000,decode=50,layers=4");

    @Test
    void shouldGiveTheStepsOfTheInnerTraceInOrder() throws IOException {
        TraceStep a = TraceStep.forHeader(CFG.header());
        TraceStep b = TraceStep.forHeader(CFG.header());
        int steps = 0;
        try (TraceGenerator direct = new TraceGenerator(CFG); TraceGenerator inner = new TraceGenerator(CFG);
                PrefetchedTrace ahead = new PrefetchedTrace(inner)) {
            assertEquals(direct.header(), ahead.header());
            while (direct.next(a)) {
                assertTrue(ahead.next(b), "step " + steps);
                assertEquals(a.position(), b.position());
                assertEquals(a.layer(), b.layer());
                assertEquals(a.readCount(), b.readCount());
                assertArrayEquals(a.ids(), b.ids());
                steps++;
            }
            assertFalse(ahead.next(b));
            assertFalse(ahead.next(b));
        }
        assertEquals(200, steps);
    }

    @Test
    void shouldThrowTheInnerFailureAtTheStepThatMetIt() throws IOException {
        IOException boom = new IOException("corrupt at byte 42");
        try (FailingTrace inner = new FailingTrace(3, boom); PrefetchedTrace ahead = new PrefetchedTrace(inner)) {
            TraceStep s = TraceStep.forHeader(inner.header());
            for (int i = 0; i < 3; i++) {
                assertTrue(ahead.next(s));
                assertEquals(i, s.layer());
            }
            assertSame(boom, assertThrows(IOException.class, () -> ahead.next(s)));
        }
    }

    @Test
    void shouldStopReadingOnCloseAndLeaveTheInnerTraceOpen() throws IOException {
        FailingTrace inner = new FailingTrace(1 << 20, null);
        PrefetchedTrace ahead = new PrefetchedTrace(inner);
        TraceStep s = TraceStep.forHeader(inner.header());
        assertTrue(ahead.next(s));
        ahead.close();
        ahead.close();
        assertFalse(inner.closed);
        assertTrue(inner.read < 1 << 20, "read " + inner.read + " steps after close");
    }

    @Test
    void shouldHandEveryStepOverWhicheverSideIsSlower() {
        // Phases where the reader is slower (the replay sleeps on an empty ring) alternate with
        // phases where the replay is (the reader sleeps on a full one): a lost wake-up hangs,
        // a slot handed over twice or too early breaks the order.
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int steps = 20_000;
            FailingTrace inner = new FailingTrace(steps, null);
            inner.slowWhile = i -> (i / 1_000) % 2 == 0;
            try (PrefetchedTrace ahead = new PrefetchedTrace(inner)) {
                TraceStep s = TraceStep.forHeader(inner.header());
                for (int i = 0; i < steps; i++) {
                    assertTrue(ahead.next(s), "step " + i);
                    assertEquals(i % (1 << 16), s.layer(), "step " + i);
                    if ((i / 1_000) % 2 == 1) {
                        spin(20_000);
                    }
                }
                assertFalse(ahead.next(s));
            }
        });
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    // Steps of one position, layers 0, 1, 2, ..., then a failure (or none).
    private static final class FailingTrace implements AccessTrace {
        private final TraceHeader header = new TraceHeader(1, 1 << 16, 10, 16, false);
        private final int good;
        private final IOException failure;
        private int read;
        private boolean closed;
        IntPredicate slowWhile = i -> false;

        FailingTrace(int good, IOException failure) {
            this.good = good;
            this.failure = failure;
        }

        @Override
        public TraceHeader header() {
            return header;
        }

        @Override
        public boolean next(TraceStep into) throws IOException {
            if (slowWhile.test(read)) {
                spin(20_000);
            }
            if (read == good) {
                if (failure != null) {
                    throw failure;
                }
                return false;
            }
            into.reset(10, read++ % (1 << 16), 10);
            into.add(0);
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
