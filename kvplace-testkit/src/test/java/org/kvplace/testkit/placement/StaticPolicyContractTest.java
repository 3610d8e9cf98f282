package org.kvplace.testkit.placement;

import org.kvplace.core.placement.Policies;
import org.kvplace.core.placement.PlacementPolicy;

/** The static policy keeps the placement contract. */
class StaticPolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return Policies.byName("static");
    }
}
