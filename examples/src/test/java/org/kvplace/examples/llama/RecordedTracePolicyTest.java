package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.sim.Simulator;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceSource;

/**
 * The online policies on a trace recorded from a real decode (stories260K, 512 tokens from BOS,
 * sparse attention over 64 tokens of 16-token pages, as {@code kvplace decode --tokens 512
 * --budget 64 --record-trace}), replayed at batch 32 on GH200 bandwidths with a fast tier that
 * holds the weights and 10 or 20 pages per sequence: a layer reads about 4 pages a step, so at 20
 * the read sets of the 5 layers just fit and at 10 they do not. {@code balance} must beat static
 * there, and reactive where reactive does not collapse.
 */
class RecordedTracePolicyTest {

    @TempDir
    static Path dir;

    private static TraceSource trace;

    // The model's sizes as `decode --record-trace` writes them: K and V of 32 floats per token and
    // layer (256 bytes), 181,760 weight bytes per block.
    private static final ModelProfile MODEL = new ModelProfile("stories260K-f32", 5, 256, 181_760L, 32);

    @BeforeAll
    static void record() throws IOException {
        Path file = dir.resolve("stories512.kvpt");
        int tokens = 512;
        try (LlamaModel m = LlamaModel.load(TestModels.stories260K())) {
            LlamaConfig c = m.config();
            try (TieredKvCache cache = CacheConfig.defaults().build(c, tokens); Sequence seq = cache.newSequence();
                    TraceRecorder recorder = new TraceRecorder(file, 16, c.layers(), 1, tokens - 1);
                    LlamaDecoder d = new LlamaDecoder(m, seq, 64, false, recorder)) {
                DecodeLoop.run(d, m.tokenizer(), new int[] {1}, tokens, new Sampler(c.vocabSize(), 0f, 1f, 0), false,
                        null);
            }
        }
        trace = () -> TraceReader.open(file);
    }

    private static HardwareProfile gh200WithRoom(int pagesPerSequence) {
        long weights = MODEL.layers() * MODEL.weightBytesPerLayer();
        long room = (long) pagesPerSequence * 16 * MODEL.kvBytesPerToken() * MODEL.batch();
        return new HardwareProfile("gh200-room" + pagesPerSequence, 4.9e12, weights + room, 450e9, 450e9, 500e9,
                480_000_000_000L);
    }

    private static double time(HardwareProfile hw, String policy) throws IOException {
        Simulator sim = new Simulator(hw, MODEL);
        return sim.run(trace, Policies.byName(policy, sim.costModel())).totalTime();
    }

    @Test
    void balanceShouldBeatStaticAndReactiveWhereTheReadSetsJustFit() throws IOException {
        HardwareProfile hw = gh200WithRoom(20);
        double balance = time(hw, "balance"), fixed = time(hw, "static"), reactive = time(hw, "reactive");
        String all = "balance " + balance + " s, static " + fixed + " s, reactive " + reactive + " s";
        assertTrue(balance < reactive, all);
        assertTrue(balance < fixed, all);
    }

    @Test
    void balanceShouldBeatStaticByTenPercentWhereTheReadSetsDoNotFit() throws IOException {
        HardwareProfile hw = gh200WithRoom(10);
        double balance = time(hw, "balance"), fixed = time(hw, "static");
        assertTrue(fixed / balance >= 1.10, "balance " + balance + " s, static " + fixed + " s");
    }
}
