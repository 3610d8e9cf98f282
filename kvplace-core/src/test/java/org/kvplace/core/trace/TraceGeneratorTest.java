package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TraceGeneratorTest {

    private static GeneratorConfig cfg(double sparsity, double variation, long seed) {
        return new GeneratorConfig(2000, 50, 2, 1, sparsity, 4, 32, 0.5, variation, seed);
    }

    @Test
    void shouldGiveTheSameTraceForTheSameSeedAndAnotherForAnotherSeed() {
        TraceStep a = TraceStep.forHeader(cfg(0.6, 0.1, 1).header());
        TraceStep b = TraceStep.forHeader(cfg(0.6, 0.1, 1).header());
        TraceGenerator g1 = new TraceGenerator(cfg(0.6, 0.1, 1));
        TraceGenerator g2 = new TraceGenerator(cfg(0.6, 0.1, 1));
        TraceGenerator g3 = new TraceGenerator(cfg(0.6, 0.1, 2));
        TraceStep c = TraceStep.forHeader(cfg(0.6, 0.1, 2).header());
        boolean differs = false;
        while (g1.next(a)) {
            assertTrue(g2.next(b));
            assertTrue(g3.next(c));
            assertArrayEquals(a.ids(), b.ids());
            differs |= !Arrays.equals(a.ids(), c.ids());
        }
        assertFalse(g2.next(b));
        assertTrue(differs);
    }

    @Test
    void shouldReadTheConfiguredFractionWithSinksAndRecentTokens() {
        for (double sparsity : new double[] {0.4, 0.6, 0.85, 0.9}) {
            TraceGenerator g = new TraceGenerator(cfg(sparsity, 0.1, 3));
            TraceStep s = TraceStep.forHeader(g.header());
            while (g.next(s)) {
                int n = s.position();
                assertEquals(n, s.unitCount());
                assertEquals(Math.round((1 - sparsity) * n), s.readCount(), "n=" + n + " sparsity=" + sparsity);
                for (int i = 0; i < 4; i++) {
                    assertTrue(s.contains(i), "sink " + i);
                }
                for (int i = n - 32; i < n; i++) {
                    assertTrue(s.contains(i), "recent " + i);
                }
            }
        }
    }

    @Test
    void shouldReplaceAboutTheVariationFractionFromOneTokenToTheNext() {
        for (double v : new double[] {0.0, 0.1, 0.3}) {
            GeneratorConfig c = new GeneratorConfig(4000, 30, 1, 1, 0.6, 4, 32, 0.0, v, 5);
            TraceGenerator g = new TraceGenerator(c);
            TraceStep prev = TraceStep.forHeader(g.header());
            TraceStep cur = TraceStep.forHeader(g.header());
            g.next(prev);
            long kept = 0, total = 0;
            while (g.next(cur)) {
                int[] ids = prev.ids();
                for (int id : ids) {
                    if (id >= 4 && id < prev.position() - 32) { // persistent part only
                        total++;
                        kept += cur.contains(id) ? 1 : 0;
                    }
                }
                prev.copyFrom(cur);
            }
            double replaced = 1 - (double) kept / total;
            assertEquals(v, replaced, 0.02, "variation " + v);
        }
    }

    @Test
    void shouldWorkInPagesAsWellAsTokens() {
        GeneratorConfig c = new GeneratorConfig(1000, 40, 2, 16, 0.6, 4, 64, 0.5, 0.1, 1);
        TraceGenerator g = new TraceGenerator(c);
        TraceStep s = TraceStep.forHeader(g.header());
        assertTrue(g.next(s));
        assertEquals(63, s.unitCount()); // ceil(1000 / 16)
        assertTrue(s.contains(0) && s.contains(62) && s.contains(59)); // sink page, 4 recent pages
        assertEquals(Math.round(0.4 * 63), s.readCount());
    }

    @Test
    void shouldStreamThePaperScaleWithoutStoringIt() {
        GeneratorConfig p = GeneratorConfig.paper();
        TraceGenerator g = new TraceGenerator(p);
        assertEquals(10_240L * 32, g.header().steps());
        assertEquals(41_539, g.header().maxUnits());
        TraceStep s = TraceStep.forHeader(g.header());
        for (int i = 0; i < 64; i++) {
            assertTrue(g.next(s));
        }
        assertEquals(31_300, s.position());
        assertEquals(31, s.layer());
        assertEquals(Math.round(0.4 * 31_300), s.readCount());
    }

    @Test
    void shouldParseKeyValueSpecsAndRejectUnknownKeys() {
        GeneratorConfig c = GeneratorConfig.parse("prompt=1000,decode=8,sparsity=85,variation=high,unit=16,seed=9");
        assertEquals(1000, c.promptTokens());
        assertEquals(0.85, c.sparsity(), 1e-12);
        assertEquals(GeneratorConfig.VARIATION_HIGH, c.variation());
        assertEquals(16, c.unitTokens());
        assertEquals(c, GeneratorConfig.parse(c.spec()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GeneratorConfig.parse("promt=5"));
        assertTrue(e.getMessage().contains("promt"));
        assertThrows(IllegalArgumentException.class, () -> GeneratorConfig.parse("sparsity=1.0"));
        assertThrows(IllegalArgumentException.class, () -> GeneratorConfig.parse("variation=wild"));
    }

    // Share of layer l's persistent reads at the first decode token still read at the last one, and
    // the mean share kept from one token to the next.
    private static double[] reuse(GeneratorConfig c, int layer) {
        TraceGenerator g = new TraceGenerator(c);
        TraceStep s = TraceStep.forHeader(g.header());
        int[] first = null;
        TraceStep prev = null;
        long kept = 0, total = 0;
        TraceStep last = TraceStep.forHeader(g.header());
        while (g.next(s)) {
            if (s.layer() != layer) {
                continue;
            }
            if (first == null) {
                first = s.ids();
            }
            if (prev != null) {
                for (int id : prev.ids()) {
                    if (id >= 4 && id < prev.position() - 32) {
                        total++;
                        kept += s.contains(id) ? 1 : 0;
                    }
                }
            } else {
                prev = TraceStep.forHeader(g.header());
            }
            prev.copyFrom(s);
            last.copyFrom(s);
        }
        long stay = 0, all = 0;
        for (int id : first) {
            if (id >= 4 && id < c.promptTokens() - 32) {
                all++;
                stay += last.contains(id) ? 1 : 0;
            }
        }
        return new double[] {(double) stay / all, (double) kept / total};
    }

    @Test
    void shouldKeepTheStableShareForTheWholeRun() {
        GeneratorConfig changing = new GeneratorConfig(4000, 40, 1, 1, 0.6, 4, 32, 0.0, 0.3, 5);
        GeneratorConfig half = new GeneratorConfig(4000, 40, 1, 1, 0.6, 4, 32, 0.0, 0.3, 5, 0.5, 0, 0.3, 0);
        // without stable heads a unit is still read 40 tokens later only by chance, about as often
        // as the read density (0.4); with half the set stable, that half stays and the changing
        // half (0.2 of the units) is redrawn over the units not stable (0.8): 0.5 + 0.5 x 0.25
        double chance = reuse(changing, 0)[0];
        assertEquals(0.4, chance, 0.05, "without stable heads");
        double kept = reuse(half, 0)[0];
        assertEquals(0.5 + 0.5 * 0.2 / 0.8, kept, 0.04, "with half stable");
        TraceGenerator g = new TraceGenerator(half);
        TraceStep st = TraceStep.forHeader(g.header());
        while (g.next(st)) {
            assertEquals(Math.round(0.4 * st.position()), st.readCount(), "n=" + st.position());
        }
    }

    @Test
    void shouldLetTheEarlyLayersReuseLessAndShiftsRedrawEverything() {
        GeneratorConfig early = GeneratorConfig.parse("prompt=4000,decode=30,layers=3,early=1:0.9,variation=0.1,"
                + "recency=0,seed=9");
        double layer0 = 1 - reuse(early, 0)[1], layer2 = 1 - reuse(early, 2)[1];
        assertEquals(0.9, layer0, 0.03, "layer 0 replaces");
        assertEquals(0.1, layer2, 0.02, "layer 2 replaces");
        GeneratorConfig shifting = GeneratorConfig.parse("prompt=4000,decode=30,layers=1,variation=0.02,shift=1,"
                + "recency=0,seed=9");
        assertTrue(1 - reuse(shifting, 0)[1] > 0.5, "a shift at every token replaces most of the set");
        assertEquals(shifting, GeneratorConfig.parse(shifting.spec()));
        assertEquals(early, GeneratorConfig.parse(early.spec()));
    }

    @Test
    void shouldRejectBadDynamicsNamingTheKey() {
        for (String bad : new String[] {"stable=1.5", "shift=-0.1", "early=2", "early=-1:0.5", "early=2:2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GeneratorConfig.parse(bad));
            String key = bad.substring(0, bad.indexOf('='));
            assertTrue(e.getMessage().contains(key), bad + ": " + e.getMessage());
        }
    }

    // Checksums of whole traces, recorded from the draw-by-draw generator before its draws were
    // computed ahead in chunks: the chunked form must give the same traces, fallbacks included
    // (saturated middles, sparse ones, stable shares, shifts, pages).
    @Test
    void shouldGiveTheSameTracesAsTheDrawByDrawGenerator() {
        Object[][] golden = {
            {"prompt=4000,decode=40,layers=4", 0x73f965394ab9e1eaL},
            {"prompt=4000,decode=40,layers=4,sparsity=0.4,variation=high", 0x2acc7af1ba50170aL},
            {"prompt=4000,decode=40,layers=4,stable=0.5,early=2:0.9,shift=0.05", 0x9e17238707f6ba57L},
            {"prompt=4000,decode=40,layers=2,unit=16", 0x3d2b57bfd63c34d2L},
            {"prompt=100,decode=300,sparsity=0.02,layers=4,variation=1", 0xb856be8350995777L},
            {"prompt=50,decode=300,sparsity=0.01,variation=1,recency=1,layers=3", 0xbf17c3e3fb0ec9aL},
            {"prompt=2000,decode=100,sparsity=0.5,variation=1,shift=0.5,stable=0.3,layers=3,seed=7,recency=0",
                0x7b59c2f4d7dcc4c5L},
            {"prompt=3000,decode=60,layers=2,sparsity=0.97,variation=1,sinks=0,recent=0", 0x8c65bb05128e7565L},
        };
        for (Object[] g : golden) {
            GeneratorConfig cfg = GeneratorConfig.parse((String) g[0]);
            TraceStep st = TraceStep.forHeader(cfg.header());
            long h = 0;
            try (TraceGenerator gen = new TraceGenerator(cfg)) {
                while (gen.next(st)) {
                    h = h * 31 + st.readCount();
                    long[] b = st.readBits();
                    for (int w = 0; w < Bits.words(st.unitCount()); w++) {
                        h = h * 31 + b[w];
                    }
                }
            }
            assertEquals((long) g[1], h, (String) g[0]);
        }
    }
}
