package org.kvplace.testkit.placement;

import org.kvplace.core.placement.PaperPolicies;
import org.kvplace.core.placement.PlacementPolicy;

/** The paper author's SA variant (two chunks) keeps the placement contract. */
class PaperSaPolicyContractTest extends PlacementPolicyContract {

    @Override
    protected PlacementPolicy newPolicy(PolicyScenario scenario) {
        return PaperPolicies.byName("paper-sa:3:0.5:2", scenario.source());
    }

    @Override
    protected boolean acceptsUnitTokens(int unitTokens) {
        return unitTokens == 1; // the author's variants run on token-granularity traces only
    }
}
