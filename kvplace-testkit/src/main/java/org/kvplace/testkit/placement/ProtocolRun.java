package org.kvplace.testkit.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.kvplace.core.placement.Lookahead;
import org.kvplace.core.placement.MigrationPlan;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.PlacementProtocol;
import org.kvplace.core.placement.PlacementState;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceStep;

/**
 * Drives one policy through a {@link PolicyScenario} with the one {@link PlacementProtocol}, as the
 * simulator does (prompt units first, then per decode step: the new unit, then the reads), and
 * checks every call against a naive model of its own ({@link BitSet}s replaying each applied plan):
 * a plan only demotes fast units and promotes existing slow ones, moves no unit twice, the protocol's
 * state is the model's, the fast tier never overflows (unless a correction overfilled it, and then
 * plans never add to it), and the policy asks the look-ahead only within its declared
 * {@link PlacementPolicy#lookahead()}.
 *
 * <p>With corrections on it plays a live driver: a non-strict protocol, no look-ahead, and every few
 * steps a unit moved behind the policy's back ({@link PlacementProtocol#correct}, which calls
 * {@link PlacementPolicy#placementChanged}), now and then into a full fast tier.
 */
public final class ProtocolRun {

    /**
     * What a run did.
     *
     * @param planHash a hash of every applied move in order, for determinism checks
     * @param promotions units promoted
     * @param demotions units demoted
     * @param placedFast new units placed in the fast tier
     * @param lookaheadCalls look-ahead queries the policy made
     */
    public record Outcome(long planHash, long promotions, long demotions, long placedFast, long lookaheadCalls) {}

    private final PolicyScenario scenario;
    private final PlacementPolicy policy;
    private final boolean live;
    private final boolean withLookahead;
    private final BitSet[] fast;
    private final int[] units;
    private final SplittableRandom rnd = new SplittableRandom(5);
    private PlacementProtocol protocol;
    private long hash = 17;
    private long promotions;
    private long demotions;
    private long placedFast;
    private long lookaheadCalls;
    private int stepIndex;
    private boolean overfilled;

    private ProtocolRun(PolicyScenario scenario, PlacementPolicy policy, boolean live, boolean withLookahead) {
        this.scenario = scenario;
        this.policy = policy;
        this.live = live;
        this.withLookahead = withLookahead && !live;
        int layers = scenario.header().layers();
        this.fast = new BitSet[layers];
        this.units = new int[layers];
        for (int l = 0; l < layers; l++) {
            fast[l] = new BitSet();
        }
    }

    /**
     * Runs {@code policy} over {@code scenario} as the simulator does, offering the look-ahead the
     * policy declares.
     */
    public static Outcome simulate(PolicyScenario scenario, PlacementPolicy policy) {
        return new ProtocolRun(scenario, policy, false, true).run();
    }

    /** Runs {@code policy} as an online driver does: {@link Lookahead#NONE} at every call. */
    public static Outcome online(PolicyScenario scenario, PlacementPolicy policy) {
        return new ProtocolRun(scenario, policy, false, false).run();
    }

    /** Runs {@code policy} as the live engine does, with corrections behind its back. */
    public static Outcome live(PolicyScenario scenario, PlacementPolicy policy) {
        return new ProtocolRun(scenario, policy, true, false).run();
    }

    private Outcome run() {
        TraceHeader h = scenario.header();
        int g = h.unitTokens();
        protocol = new PlacementProtocol(policy, h.layers(), h.maxUnits(), scenario.unitBytes(),
                scenario.capacityBytes(), !live);
        check("start");
        for (int u = 0; u < h.unitsBefore(h.promptTokens()); u++) {
            for (int l = 0; l < h.layers(); l++) {
                placeNew(l, u, Lookahead.NONE);
            }
        }
        Lookahead future = (layer, ahead) -> lookahead(layer, ahead);
        for (stepIndex = 0; stepIndex < scenario.steps().size(); stepIndex++) {
            TraceStep st = scenario.steps().get(stepIndex);
            int n = st.position();
            int l = st.layer();
            assertEquals(units[l], st.unitCount(), "the scenario's unit count at n=" + n + " l=" + l);
            if (n % g == 0) {
                placeNew(l, n / g, withLookahead ? future : Lookahead.NONE);
            }
            protocol.afterReads(st, withLookahead ? future : Lookahead.NONE);
            replay(protocol.plan(), "plan at n=" + n + " l=" + l, true);
            if (live && stepIndex % 7 == 3) {
                correct(l);
            }
        }
        return new Outcome(hash, promotions, demotions, placedFast, lookaheadCalls);
    }

    private void placeNew(int layer, int unit, Lookahead future) {
        String what = "new unit " + unit + " of layer " + layer;
        boolean f = protocol.placeNew(layer, unit, future);
        replay(protocol.plan(), what, false);
        assertEquals(units[layer], unit, what);
        units[layer]++;
        if (f) {
            fast[layer].set(unit);
            placedFast++;
        }
        hash = hash * 31 + (f ? 1 : 2);
        check(what);
    }

    /** Moves a unit behind the policy's back: a fast one out, or (now and then) a slow one into a full tier. */
    private void correct(int layer) {
        if (units[layer] == 0) {
            return;
        }
        int u = rnd.nextInt(units[layer]);
        boolean toFast = !fast[layer].get(u) && rnd.nextInt(3) == 0;
        if (fast[layer].get(u) || toFast) {
            protocol.correct(layer, u, toFast);
            fast[layer].set(u, toFast);
            overfilled |= toFast && cardinality() * scenario.unitBytes() > scenario.capacityBytes();
            check("correction of unit " + u + " of layer " + layer);
        }
    }

    private long[] lookahead(int layer, int ahead) {
        lookaheadCalls++;
        if (ahead < 1 || ahead > policy.lookahead()) {
            fail("policy " + policy.name() + " asked the look-ahead " + ahead + " tokens ahead but declares "
                    + policy.lookahead());
        }
        int layers = scenario.header().layers();
        int idx = (stepIndex / layers + ahead) * layers + layer;
        return idx < scenario.steps().size() ? scenario.steps().get(idx).readBits() : null;
    }

    private void replay(MigrationPlan plan, String what, boolean thenCheck) {
        String at = "policy " + policy.name() + ", " + what + ": ";
        BitSet moved = new BitSet();
        int maxUnits = scenario.header().maxUnits();
        for (int i = 0; i < plan.demotions(); i++) {
            int l = plan.demotedLayer(i);
            int u = plan.demotedUnit(i);
            assertTrue(fast[l].get(u), at + "demotes unit " + u + " of layer " + l + ", which is not fast");
            assertFalse(moved.get(l * maxUnits + u), at + "moves unit " + u + " of layer " + l + " twice");
            moved.set(l * maxUnits + u);
            fast[l].clear(u);
            hash = hash * 31 + l * 1_000_003L + u;
        }
        for (int i = 0; i < plan.promotions(); i++) {
            int l = plan.promotedLayer(i);
            int u = plan.promotedUnit(i);
            assertTrue(u < units[l] && !fast[l].get(u), at + "promotes unit " + u + " of layer " + l
                    + ", which is fast or does not exist (" + units[l] + " units)");
            assertFalse(moved.get(l * maxUnits + u), at + "moves unit " + u + " of layer " + l + " twice");
            moved.set(l * maxUnits + u);
            fast[l].set(u);
            hash = hash * 31 - l * 1_000_003L - u;
        }
        promotions += plan.promotions();
        demotions += plan.demotions();
        if (thenCheck) {
            check(what);
        }
    }

    private long cardinality() {
        long n = 0;
        for (BitSet b : fast) {
            n += b.cardinality();
        }
        return n;
    }

    private void check(String what) {
        String at = "policy " + policy.name() + ", " + what + ": ";
        PlacementState state = protocol.state();
        for (int l = 0; l < fast.length; l++) {
            assertEquals(units[l], state.units(l), at + "units of layer " + l);
            long[] bits = state.fastBits(l);
            for (int u = 0; u < units[l]; u++) {
                if (fast[l].get(u) != Bits.get(bits, u)) {
                    fail(at + "unit " + u + " of layer " + l + " is " + (Bits.get(bits, u) ? "fast" : "slow")
                            + " in the protocol's state but " + (fast[l].get(u) ? "fast" : "slow") + " in the plans");
                }
            }
        }
        long used = cardinality() * scenario.unitBytes();
        assertEquals(used, state.fastUsedBytes(), at + "fast bytes in use");
        if (used <= scenario.capacityBytes()) {
            overfilled = false;
        }
        assertTrue(overfilled || used <= scenario.capacityBytes(), at + "fast tier over capacity: " + used + " > "
                + scenario.capacityBytes());
    }
}
