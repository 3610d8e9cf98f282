package org.kvplace.testkit.placement;

import org.kvplace.core.placement.Policies;
import org.kvplace.core.placement.PlacementPolicy;

/** The page baseline (look-ahead 1, its own page granularity) keeps the placement contract. */
class PagePolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return Policies.byName("page");
    }
}
