package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Trace round trips: random steps written and read back give the same steps. The binary format
 * through {@link TraceWriter} and {@link TraceReader} (with and without masses, any unit size); the
 * two text formats (written here from their documented grammar) through {@link Traces#openText}.
 */
class TraceRoundTripPropertyTest {

    /** Random steps of a trace of this header; masses when the header has them. */
    private static List<TraceStep> steps(TraceHeader h, long seed, double density) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<TraceStep> list = new ArrayList<>();
        for (int i = 0; i < h.decodeTokens(); i++) {
            int n = h.promptTokens() + i;
            for (int l = 0; l < h.layers(); l++) {
                TraceStep s = TraceStep.forHeader(h);
                s.reset(n, l, h.unitsBefore(n));
                for (int u = 0; u < s.unitCount(); u++) {
                    if (rnd.nextDouble() < density) {
                        s.add(u);
                        if (h.hasMass()) {
                            s.setMass(u, (float) rnd.nextDouble());
                        }
                    }
                }
                list.add(s);
            }
        }
        return list;
    }

    private static void assertSameStep(TraceStep want, TraceStep got, boolean masses) {
        String at = "step n=" + want.position() + " l=" + want.layer();
        assertEquals(want.position(), got.position(), at);
        assertEquals(want.layer(), got.layer(), at);
        assertEquals(want.unitCount(), got.unitCount(), at);
        assertArrayEquals(want.ids(), got.ids(), at);
        if (masses) {
            for (int u : want.ids()) {
                assertEquals(want.mass(u), got.mass(u), at + " mass of unit " + u);
            }
        }
    }

    @Property(tries = 100, seed = "314")
    void shouldReadBackEveryBinaryStep(@ForAll @IntRange(min = 1, max = 20) int unitTokens,
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 1, max = 90) int prompt,
            @ForAll @IntRange(min = 0, max = 12) int decode, @ForAll boolean mass,
            @ForAll @IntRange(min = 0, max = 10) int density, @ForAll long seed) throws IOException {
        TraceHeader h = new TraceHeader(unitTokens, layers, prompt, decode, mass);
        List<TraceStep> steps = steps(h, seed, density / 10.0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TraceWriter w = new TraceWriter(bytes, h)) {
            for (TraceStep s : steps) {
                w.write(s);
            }
        }
        try (TraceReader r = new TraceReader(new ByteArrayInputStream(bytes.toByteArray()), "memory")) {
            assertEquals(h, r.header());
            TraceStep got = TraceStep.forHeader(h);
            for (TraceStep want : steps) {
                assertTrue(r.next(got), "a step is missing");
                assertSameStep(want, got, mass);
            }
            assertFalse(r.next(got), "a step too many");
        }
    }

    @Property(tries = 60, seed = "2718")
    void shouldReadBackEveryTextStepInBothFormats(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 1, max = 70) int prompt, @ForAll @IntRange(min = 1, max = 8) int decode,
            @ForAll @IntRange(min = 0, max = 10) int density, @ForAll boolean csv, @ForAll long seed)
            throws IOException {
        TraceHeader h = new TraceHeader(1, layers, prompt, decode, false);
        List<TraceStep> steps = steps(h, seed, density / 10.0);
        StringBuilder text = new StringBuilder(csv ? CsvTraceImporter.HEADER + "\n" : "# kvplace text trace\n");
        for (TraceStep s : steps) {
            text.append(s.position()).append(',').append(s.layer()).append(',');
            if (csv) { // the tokens read, as a quoted JSON list
                text.append("\"[");
                int[] ids = s.ids();
                for (int i = 0; i < ids.length; i++) {
                    text.append(i == 0 ? "" : ",").append(ids[i]);
                }
                text.append("]\"\n");
            } else { // sub-layer 0, the tokens NOT read, a flag
                text.append("0,[");
                boolean first = true;
                for (int u = 0; u < s.unitCount(); u++) {
                    if (!s.contains(u)) {
                        text.append(first ? "" : " ").append(u);
                        first = false;
                    }
                }
                text.append("],").append(seed % 2 == 0 ? "True" : "0").append('\n');
                text.append(s.position()).append(',').append(s.layer()).append(",1,[],0\n"); // an MLP line
            }
        }
        Path file = Files.createTempFile("kvplace-roundtrip", csv ? ".csv" : ".txt");
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
            try (AccessTrace r = Traces.openText(file)) {
                assertEquals(h, r.header(), text.toString());
                TraceStep got = TraceStep.forHeader(r.header());
                for (TraceStep want : steps) {
                    assertTrue(r.next(got), "a step is missing");
                    assertSameStep(want, got, false);
                }
                assertFalse(r.next(got), "a step too many");
            }
        } finally {
            Files.delete(file);
        }
    }
}
