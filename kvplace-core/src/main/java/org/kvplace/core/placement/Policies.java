package org.kvplace.core.placement;

import java.util.List;
import java.util.Locale;

/** Factory of the built-in policies by name. Stateless. */
public final class Policies {

    private Policies() {}

    /** The names {@link #byName} knows. */
    public static final List<String> NAMES = List.of("static", "reactive", "page", "oracle");

    /**
     * A new policy: {@code static}, {@code reactive}, {@code page}, {@code oracle} (Wn = 8,
     * R = 1) or {@code oracle:WN:R}, e.g. {@code oracle:16:0.9}.
     *
     * @throws IllegalArgumentException for an unknown name or bad parameters
     */
    public static PlacementPolicy byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
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
            case "page" -> new PagePolicy();
            case "oracle" -> new OraclePolicy(8, 1.0);
            default -> throw new IllegalArgumentException("unknown policy '" + name + "' (known: " + NAMES
                    + ", oracle:WN:R)");
        };
    }
}
