package org.kvplace.testkit.placement;

import org.kvplace.core.placement.PaperPolicies;
import org.kvplace.core.placement.PlacementPolicy;

/** The paper author's reactive variant keeps the placement contract. */
class PaperReactivePolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return PaperPolicies.byName("paper-reactive", scenario.source());
    }

    @Override
    protected boolean acceptsUnitTokens(int unitTokens) {
        return unitTokens == 1; // the author's variants run on token-granularity traces only
    }
}
