package org.kvplace.core.placement;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.PaperCostModel;

/** Factory of the built-in policies by name. Stateless. */
public final class Policies {

    private Policies() {}

    /** The names {@link #byName(String)} knows: every built-in policy that needs no cost model. */
    public static final List<String> NAMES = List.of("static", "reactive", "arc", "page", "oracle");

    /** The names that {@link #byName(String, CostModel)} knows besides {@link #NAMES}. */
    public static final List<String> WITH_COST_MODEL = List.of("balance");

    /** The online policies (lookahead 0: they run on a live cache too); {@code balance} needs a cost model. */
    public static final List<String> ONLINE = List.of("static", "reactive", "arc", "balance");

    /**
     * kvplace's own online policy, {@link BalancePolicy}, for the given cost model.
     *
     * @param cost the cost model of the hardware and model it places for
     */
    public static PlacementPolicy balance(CostModel cost) {
        return new BalancePolicy(cost);
    }

    /**
     * kvplace's own online policy, {@link BalancePolicy}, priced by the paper's cost model (for
     * {@link org.kvplace.core.sim.PaperSimulator}).
     *
     * @param cost the paper's cost model of the hardware and model it places for
     */
    public static PlacementPolicy balance(PaperCostModel cost) {
        return new BalancePolicy(cost);
    }

    /**
     * A new policy for tiers where a fast unit keeps its slow copy ({@code inclusive}) or not: as
     * {@link #byName(String, CostModel)}, except that {@code balance} on inclusive tiers prices its
     * moves as the paper's inclusive model ({@link PaperCostModel}, built from {@code cost}'s
     * hardware and model) does: the reads of a unit held in both tiers are split between them, a
     * promotion of a unit the step read costs only its fast write, a demotion nothing.
     *
     * @throws IllegalArgumentException as {@link #byName(String, CostModel)}
     */
    public static PlacementPolicy byName(String name, CostModel cost, boolean inclusive) {
        if (inclusive && cost != null && Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT)
                .equals("balance")) {
            return new BalancePolicy(new PaperCostModel(cost.hardware(), cost.model()));
        }
        return byName(name, cost);
    }

    /**
     * A new policy by name, for policies that need no cost model: see {@link #byName(String,
     * CostModel)}.
     *
     * @throws IllegalArgumentException for an unknown name, bad parameters, or {@code balance}
     *         (which needs a cost model)
     */
    public static PlacementPolicy byName(String name) {
        return byName(name, null);
    }

    /**
     * A new policy: {@code static}, {@code reactive}, {@code arc}, {@code balance}, {@code page},
     * {@code oracle} (Wn = 8, R = 1) or {@code oracle:WN:R}, e.g. {@code oracle:16:0.9}.
     *
     * @param name the policy's name
     * @param cost the cost model, needed by {@code balance}; may be null for the others
     * @throws IllegalArgumentException for an unknown name, bad parameters, or {@code balance}
     *         without a cost model
     */
    public static PlacementPolicy byName(String name, CostModel cost) {
        String n = Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT);
        if (n.startsWith("oracle:")) {
            String[] p = n.split(":");
            if (p.length != 3) {
                throw new IllegalArgumentException("expected oracle:WN:R, got '" + name + "'");
            }
            try {
                return new OraclePolicy(Integer.parseInt(p[1]), Double.parseDouble(p[2]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected oracle:WN:R with numbers, got '" + name + "'");
            }
        }
        return switch (n) {
            case "static" -> new StaticPolicy();
            case "reactive" -> new ReactivePolicy();
            case "arc" -> new ArcPolicy();
            case "balance" -> {
                if (cost == null) {
                    throw new IllegalArgumentException("policy 'balance' needs a cost model");
                }
                yield new BalancePolicy(cost);
            }
            case "page" -> new PagePolicy();
            case "oracle" -> new OraclePolicy(8, 1.0);
            default -> throw new IllegalArgumentException("unknown policy '" + name + "' (known: " + NAMES
                    + ", oracle:WN:R, and with a cost model " + WITH_COST_MODEL + ")");
        };
    }
}
