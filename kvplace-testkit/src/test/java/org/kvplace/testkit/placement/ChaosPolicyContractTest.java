package org.kvplace.testkit.placement;

import org.kvplace.core.placement.PlacementPolicy;

/** The test-kit chaos policy keeps the contract it is used to stress the drivers with. */
class ChaosPolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return new ChaosPolicy(9, 3);
    }
}
