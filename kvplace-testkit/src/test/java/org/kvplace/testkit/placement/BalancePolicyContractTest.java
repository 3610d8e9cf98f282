package org.kvplace.testkit.placement;

import org.kvplace.core.placement.Policies;
import org.kvplace.core.placement.PlacementPolicy;

/** kvplace's balance policy keeps the placement contract. */
class BalancePolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return Policies.balance(scenario.cost());
    }
}
