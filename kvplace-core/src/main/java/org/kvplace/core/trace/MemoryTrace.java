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
        TraceStep[] steps = slots(h);
        TraceStep buf = TraceStep.forHeader(h);
        for (int i = 0; i < steps.length; i++) {
            if (!from.next(buf)) {
                throw new TraceFormatException("the trace ended after " + i + " of the " + steps.length
                        + " steps its header declares");
            }
            steps[i] = copyOf(buf);
        }
        if (from.next(buf)) {
            throw new TraceFormatException("the trace goes on after the " + steps.length
                    + " steps its header declares");
        }
        return new MemoryTrace(h, steps);
    }

    /**
     * Generates every step of {@code cfg} on {@code threads} threads, layer {@code l} on thread
     * {@code l % threads} (each layer draws from its own stream, so the steps are those of one
     * generator).
     */
    static MemoryTrace generate(GeneratorConfig cfg, int threads) {
        TraceHeader h = cfg.header();
        TraceStep[] steps = slots(h);
        int layers = h.layers();
        int n = Math.max(1, Math.min(threads, layers));
        Throwable[] failures = new Throwable[n];
        Thread[] workers = new Thread[n];
        for (int r = 0; r < n; r++) {
            int part = r;
            workers[r] = Thread.ofPlatform().daemon().name("kvplace-trace-generate-" + r).start(() -> {
                try (TraceGenerator g = new TraceGenerator(cfg)) {
                    TraceStep buf = TraceStep.forHeader(h);
                    for (int i = 0; i < steps.length; i++) {
                        if (i % layers % n != part) {
                            g.skip();
                            continue;
                        }
                        g.next(buf);
                        steps[i] = copyOf(buf);
                    }
                } catch (RuntimeException | Error e) {
                    failures[part] = e;
                }
            });
        }
        boolean interrupted = false;
        for (Thread w : workers) {
            while (true) {
                try {
                    w.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        for (Throwable f : failures) {
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f != null) {
                throw (Error) f;
            }
        }
        return new MemoryTrace(h, steps);
    }

    private static TraceStep[] slots(TraceHeader h) {
        if (h.steps() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a trace of " + h.steps() + " steps does not fit in one array");
        }
        return new TraceStep[(int) h.steps()];
    }

    // A step sized to its own units.
    private static TraceStep copyOf(TraceStep step) {
        TraceStep s = new TraceStep(step.unitCount(), step.hasMass());
        s.copyFrom(step);
        return s;
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
