package org.kvplace.testkit.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.trace.GeneratorConfig;

/**
 * What every {@link PlacementPolicy} must satisfy through the {@link
 * org.kvplace.core.placement.PlacementProtocol}, present and future: a test class per policy extends
 * this one and says how to make the policy for a scenario ({@link #newPolicy}).
 *
 * <ul>
 *   <li>it never overfills the fast tier and plans only legal moves (checked call by call by
 *       {@link ProtocolRun} against a naive model), on token and page units, with no fast room, one
 *       unit of room, some room and room for everything, and on steps that read nothing;</li>
 *   <li>it places new units (the prompt's and each decode token's) within the room it has;</li>
 *   <li>it is deterministic: two instances, and one instance started twice, make the same moves;</li>
 *   <li>look-ahead: a policy asks only up to its declared {@link PlacementPolicy#lookahead()}, and
 *       still keeps the rules when an online driver offers none ({@code Lookahead.NONE});</li>
 *   <li>{@code placementChanged}: an online policy (look-ahead 0, the ones a live cache runs) keeps
 *       the rules when units move behind its back, also into a fast tier left over capacity.</li>
 * </ul>
 */
public abstract class PlacementPolicyContract {

    /**
     * A new instance of the policy under test for a run over {@code scenario} (a policy bound to its
     * trace opens {@link PolicyScenario#source()}; one that needs a cost model takes
     * {@link PolicyScenario#cost()}).
     */
    protected abstract PlacementPolicy newPolicy(PolicyScenario scenario);

    /** Whether a live cache may run the policy (then it must handle corrections); online policies by default. */
    protected boolean runsLive(PlacementPolicy policy) {
        return policy.lookahead() == 0;
    }

    /**
     * Whether the policy runs on traces of {@code unitTokens}-token units; scenarios of other units are
     * skipped. All sizes by default.
     */
    protected boolean acceptsUnitTokens(int unitTokens) {
        return true;
    }

    /** The scenarios: units of 1 and 16 tokens, 1 to 3 layers, fast room from none to everything. */
    static Stream<Arguments> scenarios() {
        return Stream.of(
                Arguments.of(1, 2, 0.6, 40, 0),
                Arguments.of(1, 3, 0.85, 40, 1),
                Arguments.of(1, 1, 0.5, 40, 7),
                Arguments.of(16, 2, 0.7, 120, 3),
                Arguments.of(16, 1, 0.3, 120, Integer.MAX_VALUE),
                Arguments.of(1, 2, 0.9, 40, Integer.MAX_VALUE));
    }

    /** A scenario of the policy's own granularity (when it has one) instead of {@code unitTokens}. */
    private PolicyScenario scenario(int unitTokens, int layers, double sparsity, int decode, int fastUnits,
            long seed, int emptyEvery) {
        assumeTrue(acceptsUnitTokens(unitTokens), "units of " + unitTokens + " tokens");
        PolicyScenario s = make(unitTokens, layers, sparsity, decode, fastUnits, seed, emptyEvery);
        int g = newPolicy(s).granularityTokens();
        return g == 0 || g == unitTokens ? s : make(g, layers, sparsity, decode, fastUnits, seed, emptyEvery);
    }

    private static PolicyScenario make(int unitTokens, int layers, double sparsity, int decode, int fastUnits,
            long seed, int emptyEvery) {
        int prompt = 5 * unitTokens + unitTokens / 2 + 3;
        GeneratorConfig c = new GeneratorConfig(prompt, decode, layers, unitTokens, sparsity, unitTokens, unitTokens,
                0.3, 0.2, seed);
        int all = c.header().maxUnits() * layers;
        return PolicyScenario.generated(c, Math.min(fastUnits, all), emptyEvery);
    }

    @Test
    void shouldDeclareANameAGranularityAndALookahead() {
        PlacementPolicy p = newPolicy(make(1, 1, 0.5, 4, 2, 1, 0));
        assertFalse(p.name().isBlank(), "name of " + p);
        assertTrue(p.granularityTokens() >= 0, p.name() + " granularity " + p.granularityTokens());
        assertTrue(p.lookahead() >= 0, p.name() + " look-ahead " + p.lookahead());
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void shouldKeepWithinCapacityAndPlanOnlyLegalMoves(int unitTokens, int layers, double sparsity, int decode,
            int fastUnits) {
        PolicyScenario s = scenario(unitTokens, layers, sparsity, decode, fastUnits, 11, 5);
        ProtocolRun.Outcome o = ProtocolRun.simulate(s, newPolicy(s));
        if (s.fastUnits() == 0) {
            assertEquals(0, o.placedFast() + o.promotions(), "no unit goes fast without room on " + s);
        }
        if (newPolicy(s).lookahead() == 0) {
            assertEquals(0, o.lookaheadCalls(), "an online policy reads no look-ahead on " + s);
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void shouldMakeTheSameMovesForTheSameRun(int unitTokens, int layers, double sparsity, int decode, int fastUnits) {
        PolicyScenario s = scenario(unitTokens, layers, sparsity, decode, fastUnits, 23, 0);
        PlacementPolicy reused = newPolicy(s);
        ProtocolRun.Outcome first = ProtocolRun.simulate(s, reused);
        assertEquals(first, ProtocolRun.simulate(s, newPolicy(s)), "a second instance on " + s);
        assertEquals(first, ProtocolRun.simulate(s, reused), "the same instance started again on " + s);
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void shouldKeepTheRulesWithoutALookahead(int unitTokens, int layers, double sparsity, int decode, int fastUnits) {
        PolicyScenario s = scenario(unitTokens, layers, sparsity, decode, fastUnits, 31, 4);
        ProtocolRun.Outcome o = ProtocolRun.online(s, newPolicy(s));
        assertEquals(0, o.lookaheadCalls());
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void shouldKeepTheRulesWhenUnitsMoveBehindItsBack(int unitTokens, int layers, double sparsity, int decode,
            int fastUnits) {
        PolicyScenario s = scenario(unitTokens, layers, sparsity, decode, fastUnits, 47, 6);
        PlacementPolicy p = newPolicy(s);
        assumeTrue(runsLive(p), p.name() + " does not run on a live cache");
        ProtocolRun.live(s, p);
    }

    @Test
    void shouldPlaceEveryPromptUnitWhenTheFastTierHoldsNothing() {
        for (int unit : List.of(1, 16)) {
            if (!acceptsUnitTokens(unit)) {
                continue;
            }
            PolicyScenario s = scenario(unit, 2, 0.5, 0, 0, 3, 0);
            ProtocolRun.Outcome o = ProtocolRun.simulate(s, newPolicy(s));
            assertEquals(0, o.placedFast(), s.toString());
        }
    }
}
