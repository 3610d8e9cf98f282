package org.kvplace.core.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.placement.Policies;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;

/**
 * No policy beats the balanced bound: on any generated trace, hardware and fast-tier room, every
 * built-in policy's modelled time is at least the bound's (the bound reads each step's bytes split
 * between the tiers in the ratio that makes them finish together, with nothing migrated).
 */
class BalancedBoundPropertyTest {

    private static final List<String> POLICIES = List.of("static", "reactive", "arc", "balance", "page",
            "oracle:3:0.5");

    @Property(tries = 25, seed = "8080")
    void shouldNeverFinishBelowTheBalancedBound(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 40, max = 600) int prompt, @ForAll @IntRange(min = 4, max = 24) int decode,
            @ForAll boolean pages, @ForAll @DoubleRange(min = 0.2, max = 0.9) double sparsity,
            @ForAll @DoubleRange(min = 0, max = 0.5) double variation, @ForAll @IntRange(min = 0, max = 3) int kvShift,
            @ForAll @DoubleRange(min = 0.0, max = 1.05) double room, @ForAll @DoubleRange(min = 50e9, max = 450e9)
            double slowRead, @ForAll long seed) throws IOException {
        GeneratorConfig c = new GeneratorConfig(prompt, decode, layers, pages ? 16 : 1, sparsity, 4, 32, 0.5, variation,
                seed);
        long kv = 1024L << kvShift;
        ModelProfile model = new ModelProfile("m", layers, kv, 1_000_000, 1);
        long kvRoom = (long) ((prompt + decode) * kv * layers * room);
        HardwareProfile hw = new HardwareProfile("h", 3e12, model.totalWeightBytes() + kvRoom, slowRead, 450e9, 500e9,
                1L << 42);
        for (String name : POLICIES) {
            Simulator sim = new Simulator(hw, model);
            SimulationResult r = sim.run(TraceGenerator.source(c), Policies.byName(name, sim.costModel()));
            assertTrue(r.totalTime() >= r.balancedTime() * (1 - 1e-12), name + " on " + c.spec() + " room " + kvRoom
                    + ": " + r.totalTime() + " below the bound " + r.balancedTime());
        }
    }
}
