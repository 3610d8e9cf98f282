package org.kvplace.testkit.placement;

import org.kvplace.core.placement.Policies;
import org.kvplace.core.placement.PlacementPolicy;

/** The ARC policy keeps the placement contract. */
class ArcPolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return Policies.byName("arc");
    }
}
