package org.kvplace.core.placement;

import java.util.Objects;
import org.kvplace.core.trace.StepReads;

/**
 * The placement protocol, the one both drivers follow: the simulator over a trace and the live
 * engine over the real cache. It owns the policy's view of where units sit
 * ({@link PlacementState}) and turns the policy's two decisions into applied plans:
 * <ol>
 *   <li>a unit is created: {@link PlacementPolicy#placeNew} may plan demotions to make room and
 *       chooses the new unit's tier; the demotions are applied, then the unit is created;</li>
 *   <li>a step has read units: {@link PlacementPolicy#plan} plans promotions and demotions, which
 *       are applied (demotions first).</li>
 * </ol>
 * After each call {@link #plan()} holds the moves just applied, for the driver to carry out
 * (the simulator charges them to the step; the engine copies the pages). A policy that breaks
 * the rules (an impossible move, an overflow) gets an {@link IllegalStateException} naming the
 * policy and the unit, and nothing of its plan is applied.
 *
 * <p>Not thread-safe: a protocol instance serves one driver thread. It allocates nothing per step.
 */
public final class PlacementProtocol {

    private final PlacementPolicy policy;
    private final PlacementState state;
    private final MigrationPlan plan = new MigrationPlan();
    private final boolean strict;

    /**
     * Starts {@code policy} on an empty placement.
     *
     * @param policy the policy, reset by this call ({@link PlacementPolicy#start})
     * @param layers layers, at least 1
     * @param maxUnits units one layer can hold
     * @param unitBytes bytes of one unit
     * @param capacityBytes fast-tier bytes KV may use
     * @throws IllegalArgumentException naming a bad size
     */
    public PlacementProtocol(PlacementPolicy policy, int layers, int maxUnits, long unitBytes, long capacityBytes) {
        this(policy, layers, maxUnits, unitBytes, capacityBytes, true);
    }

    /**
     * Starts {@code policy} on an empty placement; a live driver passes {@code strict = false}.
     *
     * @param strict whether a new unit that the policy puts in a fast tier without room is an
     *     error ({@link IllegalStateException}, as in the simulator); otherwise the unit goes to the
     *     slow tier and the policy is told ({@link PlacementPolicy#placementChanged}). A live driver's
     *     corrections can leave the fast tier over capacity behind a policy's back.
     * @throws IllegalArgumentException naming a bad size
     */
    public PlacementProtocol(PlacementPolicy policy, int layers, int maxUnits, long unitBytes, long capacityBytes,
            boolean strict) {
        this.strict = strict;
        this.policy = Objects.requireNonNull(policy, "policy");
        this.state = new PlacementState(layers, maxUnits, unitBytes, capacityBytes);
        policy.start(state);
    }

    /** The policy this protocol drives. */
    public PlacementPolicy policy() {
        return policy;
    }

    /** Where units sit, as the policy sees it (its planned placement). */
    public PlacementState state() {
        return state;
    }

    /** The moves applied by the last {@link #placeNew} or {@link #afterReads}; reused. */
    public MigrationPlan plan() {
        return plan;
    }

    /**
     * Creates unit {@code unit} of {@code layer} where the policy says, after applying the
     * demotions it plans to make room.
     *
     * @param future future reads, or {@link Lookahead#NONE} (always, for an online driver)
     * @return true if the unit goes to the fast tier
     * @throws IllegalStateException naming the policy and the unit if the policy broke the rules
     */
    public boolean placeNew(int layer, int unit, Lookahead future) {
        plan.clear();
        boolean fast = policy.placeNew(layer, unit, future, state, plan);
        try {
            state.apply(plan);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("policy " + policy.name() + " while placing unit " + unit + " of layer "
                    + layer + ": " + e.getMessage(), e);
        }
        if (fast && !strict && state.fastFreeBytes() < state.unitBytes()) {
            state.create(layer, unit, false);
            policy.placementChanged(layer, unit, false);
            return false;
        }
        try {
            state.create(layer, unit, fast);
        } catch (IllegalStateException | IllegalArgumentException e) {
            undoDemotions();
            throw new IllegalStateException("policy " + policy.name() + " while placing unit " + unit + " of layer "
                    + layer + ": " + e.getMessage(), e);
        }
        return fast;
    }

    /**
     * Hands a step's reads to the policy and applies its plan.
     *
     * @param reads the units the step read
     * @param future future reads, or {@link Lookahead#NONE}
     * @throws IllegalStateException naming the policy, the step and the move if the plan is impossible
     */
    public void afterReads(StepReads reads, Lookahead future) {
        plan.clear();
        policy.plan(reads, future, state, plan);
        try {
            state.apply(plan);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("policy " + policy.name() + " at step n=" + reads.position() + " l="
                    + reads.layer() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records that a unit sits in {@code fast}'s tier whatever was planned (see
     * {@link PlacementState#force}) and tells the policy ({@link PlacementPolicy#placementChanged})
     * if that changes the placement.
     *
     * @throws IllegalArgumentException if the unit does not exist
     */
    public void correct(int layer, int unit, boolean fast) {
        if (state.isFast(layer, unit) != fast) {
            state.force(layer, unit, fast);
            policy.placementChanged(layer, unit, fast);
        }
    }

    private void undoDemotions() {
        for (int i = 0; i < plan.demotions(); i++) {
            state.force(plan.demotedLayer(i), plan.demotedUnit(i), true);
        }
        plan.clear();
    }
}
