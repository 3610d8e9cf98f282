package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceFileTest {

    private static final GeneratorConfig SMALL = new GeneratorConfig(200, 40, 3, 1, 0.6, 4, 8, 0.5, 0.1, 7);

    private static List<int[]> steps(AccessTrace t) throws IOException {
        List<int[]> out = new ArrayList<>();
        TraceStep s = TraceStep.forHeader(t.header());
        while (t.next(s)) {
            out.add(s.ids());
        }
        return out;
    }

    private static byte[] encode(AccessTrace t) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        TraceStep s = TraceStep.forHeader(t.header());
        try (TraceWriter w = new TraceWriter(bo, t.header())) {
            while (t.next(s)) {
                w.write(s);
            }
        }
        return bo.toByteArray();
    }

    @Test
    void shouldRoundTripEveryStepThroughTheBinaryFormat() throws IOException {
        List<int[]> expected = steps(new TraceGenerator(SMALL));
        byte[] file = encode(new TraceGenerator(SMALL));
        try (TraceReader r = new TraceReader(new ByteArrayInputStream(file), "mem")) {
            assertEquals(SMALL.header(), r.header());
            List<int[]> got = steps(r);
            assertEquals(expected.size(), got.size());
            for (int i = 0; i < got.size(); i++) {
                assertArrayEquals(expected.get(i), got.get(i), "step " + i);
            }
        }
        // delta + varint: about one byte per id at this density
        long ids = expected.stream().mapToLong(a -> a.length).sum();
        assertTrue(file.length < ids * 1.1 + 1000, "file " + file.length + " bytes for " + ids + " ids");
    }

    @Test
    void shouldReplayTheSameStepsFromMemoryOnEveryOpenAndOnSeveralReadersAtOnce() throws IOException {
        List<int[]> expected = steps(new TraceGenerator(SMALL));
        TraceSource held = Traces.inMemory(TraceGenerator.source(SMALL), Long.MAX_VALUE);
        try (AccessTrace a = held.open(); AccessTrace b = held.open()) {
            assertEquals(SMALL.header(), a.header());
            TraceStep sa = TraceStep.forHeader(a.header());
            TraceStep sb = TraceStep.forHeader(b.header());
            for (int i = 0; i < expected.size(); i++) {
                assertTrue(a.next(sa) && b.next(sb), "step " + i);
                assertArrayEquals(expected.get(i), sa.ids(), "step " + i);
                assertArrayEquals(expected.get(i), sb.ids(), "step " + i);
                assertEquals(expected.get(i).length, sa.readCount(), "step " + i);
            }
            assertFalse(a.next(sa));
            assertFalse(b.next(sb));
        }
        assertEquals(expected.size(), steps(held.open()).size());
    }

    @Test
    void shouldGenerateTheSameStepsWithItsLayersOnSeveralThreads() throws IOException {
        GeneratorConfig dynamic = new GeneratorConfig(300, 50, 5, 1, 0.6, 4, 8, 0.5, 0.2, 9, 0.5, 2, 0.9, 0.05);
        for (GeneratorConfig cfg : List.of(SMALL, dynamic)) {
            List<int[]> expected = steps(new TraceGenerator(cfg));
            for (int threads : new int[] {1, 2, 3, 8}) {
                List<int[]> got = steps(MemoryTrace.generate(cfg, threads).open());
                assertEquals(expected.size(), got.size());
                for (int i = 0; i < got.size(); i++) {
                    assertArrayEquals(expected.get(i), got.get(i), cfg + ", " + threads + " threads, step " + i);
                }
            }
        }
    }

    @Test
    void shouldSkipAStepWithoutChangingTheOtherLayers() throws IOException {
        // layer 1 skipped throughout: layers 0 and 2 are as a generator of every step makes them
        List<int[]> all = steps(new TraceGenerator(SMALL));
        try (TraceGenerator g = new TraceGenerator(SMALL)) {
            TraceStep s = TraceStep.forHeader(g.header());
            for (int i = 0; i < all.size(); i++) {
                if (i % 3 == 1) {
                    assertTrue(g.skip());
                } else {
                    assertTrue(g.next(s));
                    assertArrayEquals(all.get(i), s.ids(), "step " + i);
                }
            }
            assertFalse(g.skip());
        }
    }

    @Test
    void shouldHoldAttentionMassesInMemory() throws IOException {
        TraceHeader h = new TraceHeader(16, 1, 32, 1, true);
        AccessTrace one = new AccessTrace() {
            private boolean done;

            @Override
            public TraceHeader header() {
                return h;
            }

            @Override
            public boolean next(TraceStep into) {
                if (done) {
                    return false;
                }
                done = true;
                into.reset(32, 0, 3);
                into.add(2);
                into.setMass(2, 0.625f);
                return true;
            }

            @Override
            public void close() {}
        };
        TraceSource held = Traces.inMemory(() -> one, Long.MAX_VALUE);
        try (AccessTrace t = held.open()) {
            TraceStep s = TraceStep.forHeader(h);
            assertTrue(t.next(s));
            assertArrayEquals(new int[] {2}, s.ids());
            assertEquals(0.625f, s.mass(2));
            assertEquals(0f, s.mass(1));
        }
    }

    @Test
    void shouldLeaveATraceTooLargeForTheLimitWhereItIs() throws IOException {
        int[] opens = {0};
        TraceSource source = () -> {
            opens[0]++;
            return new TraceGenerator(SMALL);
        };
        // 40 positions x 3 layers = 120 steps of at most 240 units: 104 bytes each, 12,480 in all
        assertTrue(Traces.inMemory(source, 20_000) != source);
        assertSame(source, Traces.inMemory(source, 5_000));
        assertEquals(2, opens[0]);
    }

    @Test
    void shouldRejectATraceWithFewerStepsThanItsHeaderDeclaresWhenHoldingIt() {
        TraceHeader h = new TraceHeader(1, 2, 8, 3, false);  // 6 steps declared
        TraceSource shortTrace = () -> new AccessTrace() {
            private int n;

            @Override
            public TraceHeader header() {
                return h;
            }

            @Override
            public boolean next(TraceStep into) {
                if (n == 4) {
                    return false;
                }
                into.reset(8 + n / 2, n % 2, 8 + n / 2);
                n++;
                return true;
            }

            @Override
            public void close() {}
        };
        TraceFormatException e = assertThrows(TraceFormatException.class,
                () -> Traces.inMemory(shortTrace, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("after 4 of the 6 steps"), e.getMessage());
    }

    @Test
    void shouldRoundTripAttentionMasses() throws IOException {
        TraceHeader h = new TraceHeader(16, 1, 32, 2, true);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        TraceStep s = TraceStep.forHeader(h);
        try (TraceWriter w = new TraceWriter(bo, h)) {
            s.reset(32, 0, 2);
            s.add(1);
            s.setMass(1, 0.75f);
            w.write(s);
            s.reset(33, 0, 3);
            s.add(0);
            s.add(2);
            s.setMass(0, 0.25f);
            s.setMass(2, 0.5f);
            w.write(s);
        }
        try (TraceReader r = new TraceReader(new ByteArrayInputStream(bo.toByteArray()), "mem")) {
            assertTrue(r.next(s));
            assertEquals(0.75f, s.mass(1));
            assertTrue(r.next(s));
            assertArrayEquals(new int[] {0, 2}, s.ids());
            assertEquals(0.5f, s.mass(2));
            assertFalse(r.next(s));
        }
    }

    @Test
    void shouldNameTheByteOffsetOfATruncatedFile() throws IOException {
        byte[] file = encode(new TraceGenerator(SMALL));
        byte[] cut = Arrays.copyOf(file, file.length / 2);
        TraceFormatException e = assertThrows(TraceFormatException.class, () -> {
            try (TraceReader r = new TraceReader(new ByteArrayInputStream(cut), "cut.kvpt")) {
                steps(r);
            }
        });
        assertTrue(e.getMessage().contains("byte offset " + cut.length), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("step n="), e.getMessage());
    }

    @Test
    void shouldRejectAMissingEndMarkerAndTrailingBytes() throws IOException {
        byte[] file = encode(new TraceGenerator(SMALL));
        byte[] noEnd = Arrays.copyOf(file, file.length - 4);
        TraceFormatException e = assertThrows(TraceFormatException.class,
                () -> steps(new TraceReader(new ByteArrayInputStream(noEnd), "f")));
        assertTrue(e.getMessage().contains("byte offset " + noEnd.length), e.getMessage());
        byte[] extra = Arrays.copyOf(file, file.length + 1);
        e = assertThrows(TraceFormatException.class, () -> steps(new TraceReader(new ByteArrayInputStream(extra), "f")));
        assertTrue(e.getMessage().contains("trailing"), e.getMessage());
    }

    @Test
    void shouldRejectBadMagicAndVersionAtTheirOffsets() throws IOException {
        byte[] file = encode(new TraceGenerator(SMALL));
        byte[] magic = file.clone();
        magic[2] = 'X';
        TraceFormatException e = assertThrows(TraceFormatException.class,
                () -> new TraceReader(new ByteArrayInputStream(magic), "f"));
        assertTrue(e.getMessage().contains("byte offset 2"), e.getMessage());
        byte[] version = file.clone();
        version[4] = 9;
        e = assertThrows(TraceFormatException.class, () -> new TraceReader(new ByteArrayInputStream(version), "f"));
        assertTrue(e.getMessage().contains("byte offset 4") && e.getMessage().contains("version 9"), e.getMessage());
    }

    @Test
    void shouldRejectAUnitIdBeyondTheUnitsThatExist() throws IOException {
        // header: unit 1, 1 layer, prompt 3, decode 1 -> the only step may read ids 0..2
        byte[] bytes = {'K', 'V', 'P', 'T', 1, 1, 1, 3, 1, 0, /* count */ 1, /* id */ 3, 'K', 'V', 'P', 'E'};
        TraceFormatException e = assertThrows(TraceFormatException.class,
                () -> steps(new TraceReader(new ByteArrayInputStream(bytes), "f")));
        assertTrue(e.getMessage().contains("byte offset 11") && e.getMessage().contains("n=3 l=0"), e.getMessage());
        byte[] tooMany = {'K', 'V', 'P', 'T', 1, 1, 1, 3, 1, 0, 4, 0, 0, 0, 0};
        e = assertThrows(TraceFormatException.class,
                () -> steps(new TraceReader(new ByteArrayInputStream(tooMany), "f")));
        assertTrue(e.getMessage().contains("byte offset 10"), e.getMessage());
    }

    @Test
    void shouldRejectVarintsThatOverflowOrAreNotCanonical() {
        // the only id of the only step is written as 2^32 (five bytes): it must not wrap to 0
        byte[] overflow = {'K', 'V', 'P', 'T', 1, 1, 1, 3, 1, 0, 1,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x10, 'K', 'V', 'P', 'E'};
        TraceFormatException e = assertThrows(TraceFormatException.class,
                () -> steps(new TraceReader(new ByteArrayInputStream(overflow), "f")));
        assertTrue(e.getMessage().contains("byte offset 11") && e.getMessage().contains("bad varint"), e.getMessage());
        // id 0 written in two bytes
        byte[] padded = {'K', 'V', 'P', 'T', 1, 1, 1, 3, 1, 0, 1, (byte) 0x80, 0x00, 'K', 'V', 'P', 'E'};
        e = assertThrows(TraceFormatException.class,
                () -> steps(new TraceReader(new ByteArrayInputStream(padded), "f")));
        assertTrue(e.getMessage().contains("byte offset 11") && e.getMessage().contains("bad varint"), e.getMessage());
    }

    @Test
    void shouldRejectAHeaderTooLargeToHoldInsteadOfRunningOutOfMemory() {
        // unit 1, 65,536 layers, prompt 100,000, decode 1: 6.6e9 unit-layers
        byte[] huge = {'K', 'V', 'P', 'T', 1, 1, (byte) 0x80, (byte) 0x80, 0x04, (byte) 0xA0, (byte) 0x8D, 0x06, 1, 0};
        TraceFormatException e = assertThrows(TraceFormatException.class,
                () -> new TraceReader(new ByteArrayInputStream(huge), "f"));
        assertTrue(e.getMessage().contains("byte offset 5") && e.getMessage().contains("65536 layers"), e.getMessage());
    }

    @Test
    void shouldRefuseStepsOutOfOrderAndIncompleteTraces() throws IOException {
        TraceHeader h = new TraceHeader(1, 2, 4, 1, false);
        TraceStep s = TraceStep.forHeader(h);
        TraceWriter w = new TraceWriter(new ByteArrayOutputStream(), h);
        s.reset(4, 1, 4);
        assertThrows(IllegalArgumentException.class, () -> w.write(s));
        s.reset(4, 0, 4);
        w.write(s);
        IOException e = assertThrows(IOException.class, w::close);
        assertTrue(e.getMessage().contains("1 of 2"), e.getMessage());
    }
}
