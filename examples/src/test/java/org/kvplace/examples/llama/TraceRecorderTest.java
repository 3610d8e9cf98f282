package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.kvplace.core.attention.PageSelection;
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
        List<float[]> seenMasses = new ArrayList<>();
        int tokens = 60;
        try (LlamaModel m = LlamaModel.load(TestModels.stories260K())) {
            LlamaConfig c = m.config();
            int[] prompt = m.tokenizer().encode("Lily and Tom", true, false);
            CacheConfig cc = CacheConfig.defaults();
            int maxTokens = prompt.length + tokens - 1;
            try (TieredKvCache cache = cc.build(c, maxTokens); Sequence seq = cache.newSequence();
                    TraceRecorder recorder = new TraceRecorder(file, 16, c.layers(), prompt.length, tokens - 1)) {
                AttentionObserver both = (position, layer, pages, masses, count) -> {
                    int[] row = new int[count + 2];
                    row[0] = position;
                    row[1] = layer;
                    System.arraycopy(pages, 0, row, 2, count);
                    seen.add(row);
                    seenMasses.add(Arrays.copyOf(masses, count));
                    recorder.attended(position, layer, pages, masses, count);
                };
                try (LlamaDecoder d = new LlamaDecoder(m, seq, 48, false, both)) {
                    DecodeLoop.run(d, m.tokenizer(), prompt, tokens, new Sampler(c.vocabSize(), 0f, 1f, 0), false,
                            null);
                }
            }
            try (TraceReader r = TraceReader.open(file)) {
                TraceHeader h = r.header();
                assertEquals(new TraceHeader(16, c.layers(), prompt.length, tokens - 1, true), h);
                TraceStep step = TraceStep.forHeader(h);
                int k = prompt.length * c.layers(); // the prompt's positions are not in the trace
                int steps = 0;
                while (r.next(step)) {
                    float[] masses = seenMasses.get(k);
                    int[] row = seen.get(k++);
                    assertEquals(row[0], step.position());
                    assertEquals(row[1], step.layer());
                    int before = h.unitsBefore(row[0]);
                    // The decoder also read the page of the token being written; a page holding only it is no unit.
                    int[] expected = Arrays.stream(row, 2, row.length).filter(p -> p < before).toArray();
                    assertArrayEquals(expected, step.ids(), "step " + step);
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(masses[i], step.mass(expected[i]), "mass of page " + expected[i] + " in " + step);
                    }
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
        r.attended(0, 0, new int[] {0}, new float[] {1f}, 1); // a prompt position: not recorded
        r.attended(1, 0, new int[] {0}, new float[] {1f}, 1);
        assertThrows(IOException.class, r::close);
        r.close(); // idempotent
        assertTrue(r.header().hasMass());
        assertEquals(6, r.header().steps());
    }

    @Test
    void shouldRecordMassesThatSumToTheQueryHeadsOfEveryStep() throws IOException {
        // Dense attention: each query head's softmax over tokens 0..n sums to 1, so a step's page masses
        // sum to the number of query heads, except that when token n opens a new page that page is no
        // read unit of step n and its mass (token n's own weight, positive) is missing from the trace.
        Path file = dir.resolve("dense.kvpt");
        int tokens = 40;
        try (LlamaModel m = LlamaModel.load(TestModels.stories260K())) {
            LlamaConfig c = m.config();
            try (TieredKvCache cache = CacheConfig.defaults().build(c, tokens); Sequence seq = cache.newSequence();
                    TraceRecorder recorder = new TraceRecorder(file, 16, c.layers(), 1, tokens - 1);
                    LlamaDecoder d = new LlamaDecoder(m, seq, PageSelection.ALL, false, recorder)) {
                DecodeLoop.run(d, m.tokenizer(), new int[] {1}, tokens, new Sampler(c.vocabSize(), 0f, 1f, 0), false,
                        null);
            }
            try (TraceReader r = TraceReader.open(file)) {
                assertTrue(r.header().hasMass());
                TraceStep step = TraceStep.forHeader(r.header());
                int steps = 0;
                int opening = 0;
                while (r.next(step)) {
                    assertTrue(step.hasMass(), "step " + step);
                    assertEquals(step.unitCount(), step.readCount(), "dense reads every unit: " + step);
                    float sum = 0f;
                    for (int u : step.ids()) {
                        assertTrue(step.mass(u) >= 0f && step.mass(u) <= c.heads(), "mass " + step.mass(u));
                        sum += step.mass(u);
                    }
                    if (step.position() % 16 != 0) {
                        assertEquals(c.heads(), sum, 1e-3, "masses of " + step);
                    } else {
                        opening++;
                        assertTrue(sum > 0f && sum <= c.heads() + 1e-3f, "masses of " + step + " sum to " + sum);
                    }
                    steps++;
                }
                assertEquals((tokens - 1) * c.layers(), steps);
                assertEquals(2 * c.layers(), opening); // positions 16 and 32
            }
        }
    }

    @Test
    void shouldRejectAMassThatIsNotAFiniteNonNegativeNumber() throws IOException {
        try (TraceRecorder r = new TraceRecorder(dir.resolve("bad.kvpt"), 16, 1, 1, 1)) {
            assertThrows(IllegalArgumentException.class, () -> r.attended(1, 0, new int[] {0}, new float[] {-1f}, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> r.attended(1, 0, new int[] {0}, new float[] {Float.NaN}, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> r.attended(1, 0, new int[] {0}, new float[] {Float.POSITIVE_INFINITY}, 1));
            r.attended(1, 0, new int[] {0}, new float[] {0.5f}, 1);
        }
    }
}
