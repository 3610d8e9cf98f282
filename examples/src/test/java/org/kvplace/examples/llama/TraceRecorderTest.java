package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceStep;

class TraceRecorderTest {

    @TempDir
    Path dir;

    @Test
    void shouldWriteThePagesReadBeforeEachDecodedPositionAsATrace() throws IOException {
        Path file = dir.resolve("run.kvpt");
        List<int[]> seen = new ArrayList<>(); // {position, layer, pages...} as the decoder reported them
        int tokens = 60;
        try (LlamaModel m = LlamaModel.load(TestModels.stories260K())) {
            LlamaConfig c = m.config();
            int[] prompt = m.tokenizer().encode("Lily and Tom", true, false);
            CacheConfig cc = CacheConfig.defaults();
            int maxTokens = prompt.length + tokens - 1;
            try (TieredKvCache cache = cc.build(c, maxTokens); Sequence seq = cache.newSequence();
                    TraceRecorder recorder = new TraceRecorder(file, 16, c.layers(), prompt.length, tokens - 1)) {
                PageSelector selector = new PageSelector(c.layers(), cache.pagesPerLayer(), 16, 3, c.heads(),
                        c.kvHeads(), c.headDim());
                AttentionObserver both = new AttentionObserver() {
                    @Override
                    public void attended(int position, int layer, int[] pages, int count) {
                        int[] row = new int[count + 2];
                        row[0] = position;
                        row[1] = layer;
                        System.arraycopy(pages, 0, row, 2, count);
                        seen.add(row);
                        recorder.attended(position, layer, pages, count);
                    }
                };
                DecodeLoop.run(new LlamaDecoder(m, seq, selector, both), m.tokenizer(), prompt, tokens,
                        new Sampler(c.vocabSize(), 0f, 1f, 0), false, null);
            }
            try (TraceReader r = TraceReader.open(file)) {
                TraceHeader h = r.header();
                assertEquals(new TraceHeader(16, c.layers(), prompt.length, tokens - 1, false), h);
                TraceStep step = TraceStep.forHeader(h);
                int k = prompt.length * c.layers(); // the prompt's positions are not in the trace
                int steps = 0;
                while (r.next(step)) {
                    int[] row = seen.get(k++);
                    assertEquals(row[0], step.position());
                    assertEquals(row[1], step.layer());
                    int before = h.unitsBefore(row[0]);
                    // The decoder also read the page of the token being written; a page holding only it is no unit.
                    int[] expected = Arrays.stream(row, 2, row.length).filter(p -> p < before).toArray();
                    assertArrayEquals(expected, step.ids(), "step " + step);
                    steps++;
                }
                assertEquals(h.steps(), steps);
                assertEquals(seen.size(), k);
            }
        }
    }

    @Test
    void shouldFailToCloseATraceWithMissingSteps() throws IOException {
        TraceRecorder r = new TraceRecorder(dir.resolve("short.kvpt"), 16, 2, 1, 3);
        r.attended(0, 0, new int[] {0}, 1); // a prompt position: not recorded
        r.attended(1, 0, new int[] {0}, 1);
        assertThrows(IOException.class, r::close);
        r.close(); // idempotent
        assertFalse(r.header().hasMass());
        assertEquals(6, r.header().steps());
    }
}
