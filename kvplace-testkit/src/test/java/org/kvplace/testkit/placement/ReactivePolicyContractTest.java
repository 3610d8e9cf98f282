package org.kvplace.testkit.placement;

import org.kvplace.core.placement.Policies;
import org.kvplace.core.placement.PlacementPolicy;

/** The reactive (LRU) policy keeps the placement contract. */
class ReactivePolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return Policies.byName("reactive");
    }
}
