package org.kvplace.core.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.kvplace.core.trace.Bits;

/**
 * {@link PlacementState#apply} against a naive model (a {@link BitSet} per layer): a plan is applied
 * whole when every demotion names a fast unit, every promotion an existing slow one, and the fast tier
 * stays within capacity (or does not grow); otherwise it is refused with an exception and the state is
 * unchanged.
 */
class PlacementStatePropertyTest {

    static final int LAYERS = 2;
    static final int MAX_UNITS = 12;
    static final long UNIT = 10;

    /** One plan: demotions and promotions as (layer, unit) pairs. */
    record Plan(List<int[]> demote, List<int[]> promote) {}

    @Provide
    Arbitrary<List<Plan>> plans() {
        Arbitrary<int[]> move = Combinators.combine(Arbitraries.integers().between(0, LAYERS - 1),
                Arbitraries.integers().between(-1, MAX_UNITS)).as((l, u) -> new int[] {l, u});
        return Combinators.combine(move.list().ofMaxSize(4), move.list().ofMaxSize(4)).as(Plan::new).list()
                .ofMaxSize(25);
    }

    @Property(tries = 400, seed = "99")
    void shouldApplyAPlanExactlyWhenTheNaiveModelAllowsItAndRefuseItOtherwise(@ForAll("plans") List<Plan> plans,
            @ForAll @IntRange(min = 0, max = 12) int capacityUnits, @ForAll @IntRange(min = 0, max = 12) int created) {
        PlacementState state = new PlacementState(LAYERS, MAX_UNITS, UNIT, capacityUnits * UNIT);
        BitSet[] fast = {new BitSet(), new BitSet()};
        for (int l = 0; l < LAYERS; l++) {
            for (int u = 0; u < created; u++) {
                boolean f = (u + l) % 2 == 0 && (fast[0].cardinality() + fast[1].cardinality()) < capacityUnits;
                state.create(l, u, f);
                fast[l].set(u, f);
            }
        }
        MigrationPlan plan = new MigrationPlan();
        for (Plan p : plans) {
            plan.clear();
            p.demote().forEach(m -> plan.demote(m[0], m[1]));
            p.promote().forEach(m -> plan.promote(m[0], m[1]));
            boolean legal = legal(p, fast, created, capacityUnits);
            if (legal) {
                state.apply(plan);
                p.demote().forEach(m -> fast[m[0]].clear(m[1]));
                p.promote().forEach(m -> fast[m[0]].set(m[1]));
            } else {
                assertThrows(IllegalStateException.class, () -> state.apply(plan), "plan " + describe(p));
            }
            for (int l = 0; l < LAYERS; l++) {
                for (int u = 0; u < MAX_UNITS; u++) {
                    assertEquals(fast[l].get(u), state.isFast(l, u), "layer " + l + " unit " + u);
                    assertEquals(fast[l].get(u), Bits.get(state.fastBits(l), u), "bits of layer " + l + " unit " + u);
                }
            }
            assertEquals((fast[0].cardinality() + fast[1].cardinality()) * UNIT, state.fastUsedBytes());
        }
    }

    /** The naive model: demotions first, then promotions, every move checked against the set so far. */
    private static boolean legal(Plan p, BitSet[] fast, int created, int capacityUnits) {
        BitSet[] f = {(BitSet) fast[0].clone(), (BitSet) fast[1].clone()};
        int before = fast[0].cardinality() + fast[1].cardinality();
        for (int[] m : p.demote()) {
            if (m[1] < 0 || m[1] >= MAX_UNITS || !f[m[0]].get(m[1])) {
                return false;
            }
            f[m[0]].clear(m[1]);
        }
        for (int[] m : p.promote()) {
            if (m[1] < 0 || m[1] >= created || f[m[0]].get(m[1])) {
                return false;
            }
            f[m[0]].set(m[1]);
        }
        int after = before + p.promote().size() - p.demote().size();
        return after <= capacityUnits || p.promote().size() <= p.demote().size();
    }

    private static String describe(Plan p) {
        StringBuilder s = new StringBuilder("demote");
        p.demote().forEach(m -> s.append(' ').append(m[0]).append(':').append(m[1]));
        s.append(" promote");
        p.promote().forEach(m -> s.append(' ').append(m[0]).append(':').append(m[1]));
        return s.toString();
    }
}
