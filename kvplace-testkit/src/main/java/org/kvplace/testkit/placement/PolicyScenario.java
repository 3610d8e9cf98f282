package org.kvplace.testkit.placement;

import java.util.ArrayList;
import java.util.List;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.TraceStep;

/**
 * A small run for a policy under test: a trace held in memory (so that a policy bound to its trace,
 * like the paper author's variants, can open it as often as it likes), the fast-tier room in units
 * and a cost model of matching shape. Immutable.
 *
 * @param name what the scenario is, for messages
 * @param header the trace's header
 * @param steps the trace's steps, in order
 * @param fastUnits units the fast tier holds
 * @param cost a cost model with the trace's layers (for policies that need one)
 */
public record PolicyScenario(String name, TraceHeader header, List<TraceStep> steps, int fastUnits, CostModel cost) {

    /** KV bytes per token of the scenario's model. */
    public static final long KV_BYTES_PER_TOKEN = 1024;

    /** Copies the steps. */
    public PolicyScenario {
        steps = List.copyOf(steps);
        if (fastUnits < 0) {
            throw new IllegalArgumentException("fastUnits must be >= 0, got " + fastUnits);
        }
    }

    /**
     * A generated trace.
     *
     * @param config the generator's configuration
     * @param fastUnits units the fast tier holds
     * @param emptyEvery every how many steps the read set is emptied (0: never), so that policies
     *     see steps that read nothing
     */
    public static PolicyScenario generated(GeneratorConfig config, int fastUnits, int emptyEvery) {
        List<TraceStep> steps = new ArrayList<>();
        TraceHeader header;
        try (TraceGenerator g = new TraceGenerator(config)) {
            header = g.header();
            TraceStep step = TraceStep.forHeader(header);
            while (g.next(step)) {
                TraceStep copy = TraceStep.forHeader(header);
                copy.copyFrom(step);
                if (emptyEvery > 0 && steps.size() % emptyEvery == emptyEvery - 1) {
                    copy.reset(step.position(), step.layer(), step.unitCount());
                }
                steps.add(copy);
            }
        }
        ModelProfile model = new ModelProfile("contract", header.layers(), KV_BYTES_PER_TOKEN, 1_000_000, 1);
        long room = fastUnits * unitBytes(header) + model.totalWeightBytes();
        HardwareProfile hw = new HardwareProfile("contract", 4e12, room, 400e9, 450e9, 500e9, 1L << 42);
        return new PolicyScenario(config.spec() + " fast units " + fastUnits, header, steps, fastUnits,
                new CostModel(hw, model));
    }

    private static long unitBytes(TraceHeader header) {
        return header.unitTokens() * KV_BYTES_PER_TOKEN;
    }

    /** Bytes of one unit. */
    public long unitBytes() {
        return unitBytes(header);
    }

    /** Fast-tier bytes KV may use. */
    public long capacityBytes() {
        return fastUnits * unitBytes();
    }

    /** Opens the in-memory trace afresh on every call. */
    public TraceSource source() {
        return () -> new AccessTrace() {
            private int next;

            @Override
            public TraceHeader header() {
                return header;
            }

            @Override
            public boolean next(TraceStep into) {
                if (next >= steps.size()) {
                    return false;
                }
                into.copyFrom(steps.get(next++));
                return true;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
