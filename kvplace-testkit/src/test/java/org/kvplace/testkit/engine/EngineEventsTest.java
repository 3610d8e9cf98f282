package org.kvplace.testkit.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.cache.ModelShape;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.engine.EngineStats;
import org.kvplace.core.engine.KvPlace;
import org.kvplace.core.engine.KvSequence;
import org.kvplace.testkit.placement.ChaosPolicy;

/** The engine's JFR events: one {@code kvplace.Step} per step, one {@code kvplace.Migration} per move. */
class EngineEventsTest {

    @Test
    void shouldRecordEveryStepAndEveryMigration(@TempDir Path dir) throws IOException {
        ModelShape shape = new ModelShape(2, 1, 8, 1_024);
        int tokens = 300;
        List<RecordedEvent> events;
        EngineStats stats;
        try (Recording r = new Recording()) {
            r.enable("kvplace.Step");
            r.enable("kvplace.Migration");
            r.start();
            KvPlace kv = KvPlace.builder()
                    .cache(TieredKvCache.builder().shape(shape).pageTokens(16).fastTierPages(12).slowTierPages(64))
                    .budgetTokens(64).policy(() -> new ChaosPolicy(5, 2)).synchronousMigration(true).build();
            try {
                KvSequence s = kv.newSequence();
                float[] k = new float[shape.kvWidth()];
                float[] out = new float[shape.kvWidth()];
                for (int t = 0; t < tokens; t++) {
                    for (int l = 0; l < shape.layers(); l++) {
                        EngineTest.fill(k, 0, l, t, 0);
                        s.append(l, k, k);
                        s.attend(l, k, out);
                    }
                    s.endStep();
                }
                kv.close(); // the worker stops: every move it made has its event
                stats = s.stats();
            } finally {
                kv.close();
            }
            r.stop();
            Path file = dir.resolve("engine.jfr");
            r.dump(file);
            events = RecordingFile.readAllEvents(file);
        }
        List<RecordedEvent> steps = events.stream().filter(e -> e.getEventType().getName().equals("kvplace.Step"))
                .toList();
        List<RecordedEvent> moves = events.stream()
                .filter(e -> e.getEventType().getName().equals("kvplace.Migration")).toList();
        assertEquals(tokens, steps.size());
        assertEquals(stats.bytesReadFast(), steps.stream().mapToLong(e -> e.getLong("bytesFast")).sum());
        assertEquals(stats.bytesReadSlow(), steps.stream().mapToLong(e -> e.getLong("bytesSlow")).sum());
        assertTrue(steps.stream().allMatch(e -> e.getLong("measuredNanos") > 0));
        // JFR does not keep events in order within a file: compare the set of positions.
        assertEquals(java.util.stream.IntStream.range(0, tokens).boxed().toList(),
                steps.stream().map(e -> e.getInt("position")).sorted().toList());
        long done = moves.stream().filter(e -> e.getBoolean("done")).count();
        assertEquals(stats.promotions() + stats.demotions(), done);
        assertEquals(stats.bytesMigrated(), moves.stream().mapToLong(e -> e.getLong("bytes")).sum());
        assertTrue(done > 0, "the chaos policy moved pages");
        assertTrue(Files.size(dir.resolve("engine.jfr")) > 0);
    }
}
