package org.kvplace.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceStep;

class LiveReplayTest {

    private static final GeneratorConfig GEN = new GeneratorConfig(1_024, 48, 2, 16, 0.7, 4, 32, 0.5, 0.1, 3);

    private static LiveReplay.Result replay(String policy, int fastPages) throws IOException {
        ModelShape shape = new ModelShape(2, 1, 8, 1_024 + 48);
        try (KvPlace kv = KvPlace.builder()
                .cache(TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(fastPages).slowTierPages(200))
                .policy(policy).modelFastBytesPerSecond(1e9).synchronousMigration(true).build();
                TraceGenerator trace = new TraceGenerator(GEN)) {
            return LiveReplay.run(kv, trace, 1e9);
        }
    }

    /** The pages the trace reads, counted independently of the engine. */
    private static long tracePages() throws IOException {
        long pages = 0;
        try (TraceGenerator trace = new TraceGenerator(GEN)) {
            TraceStep step = TraceStep.forHeader(trace.header());
            while (trace.next(step)) {
                pages += step.readCount(); // units are pages (unitTokens 16 = pageTokens)
            }
        }
        return pages;
    }

    @Test
    void everyPolicyReadsExactlyTheTracesPages() throws IOException {
        long pageBytes = 2L * 16 * 8 * Float.BYTES;
        long want = tracePages() * pageBytes;
        for (String policy : new String[] {"static", "reactive"}) {
            LiveReplay.Result r = replay(policy, 20);
            assertEquals(want, r.stats().bytesReadFast() + r.stats().bytesReadSlow(), policy);
            assertEquals(48, r.decodeTokens());
            assertEquals(48, r.stats().steps(), policy + ": one step per decode position");
            assertTrue(r.measuredNanos() > 0 && r.stats().modelledNanos() > 0, policy);
        }
        LiveReplay.Result allFast = replay("static", 200);
        assertEquals(0, allFast.stats().bytesReadSlow());
        assertTrue(replay("reactive", 20).stats().fastShare() > replay("static", 20).stats().fastShare(),
                "reactive brings the pages the trace reads into the fast tier");
    }

    @Test
    void aTraceThatDoesNotFitIsRejected() throws IOException {
        ModelShape shape = new ModelShape(1, 1, 8, 512);
        try (KvPlace kv = KvPlace.builder()
                .cache(TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(8).slowTierPages(64)).build();
                TraceGenerator trace = new TraceGenerator(GEN)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LiveReplay.run(kv, trace, 0));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        }
    }
}
