package org.kvplace.core.trace;

import java.io.IOException;

/**
 * Every step of a trace held in memory, each a {@link TraceStep} sized to its own units: a source
 * that replays without reading or generating anything. See {@link Traces#inMemory}. Immutable once
 * built; readers on several threads at once each copy steps out of it.
 */
final class MemoryTrace implements TraceSource {

    private final TraceHeader header;
    private final TraceStep[] steps;

    private MemoryTrace(TraceHeader header, TraceStep[] steps) {
        this.header = header;
        this.steps = steps;
    }

    /** Bytes that holding a trace of this header takes at most. */
    static long bytesAtMost(TraceHeader h) {
        long perStep = 64 + 8L * (Bits.words(h.maxUnits()) + 1) + (h.hasMass() ? 16 + 4L * h.maxUnits() : 0);
        return h.steps() * perStep;
    }

    /**
     * Reads every step of {@code from}.
     *
     * @throws TraceFormatException if the trace ends before or goes on after the steps its header declares
     * @throws IOException if reading fails
     */
    static MemoryTrace read(AccessTrace from) throws IOException {
        TraceHeader h = from.header();
        if (h.steps() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a trace of " + h.steps() + " steps does not fit in one array");
        }
        TraceStep[] steps = new TraceStep[(int) h.steps()];
        TraceStep buf = TraceStep.forHeader(h);
        for (int i = 0; i < steps.length; i++) {
            if (!from.next(buf)) {
                throw new TraceFormatException("the trace ended after " + i + " of the " + steps.length
                        + " steps its header declares");
            }
            TraceStep s = new TraceStep(buf.unitCount(), buf.hasMass());
            s.copyFrom(buf);
            steps[i] = s;
        }
        if (from.next(buf)) {
            throw new TraceFormatException("the trace goes on after the " + steps.length
                    + " steps its header declares");
        }
        return new MemoryTrace(h, steps);
    }

    @Override
    public AccessTrace open() {
        return new AccessTrace() {
            private int next;

            @Override
            public TraceHeader header() {
                return header;
            }

            @Override
            public boolean next(TraceStep into) {
                if (next == steps.length) {
                    return false;
                }
                into.copyFrom(steps[next++]);
                return true;
            }

            @Override
            public boolean worthReadingAhead() {
                return false;
            }

            @Override
            public void close() {}
        };
    }
}
