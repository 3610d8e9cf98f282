package org.kvplace.core.placement;

import java.util.List;
import java.util.Locale;
import org.kvplace.core.trace.TraceSource;

/**
 * Factory of the paper author's policy variants by name. They are bound to one trace (their
 * free fills read it) and are meant for the paper's cost model
 * ({@link org.kvplace.core.model.PaperCostModel}). Stateless.
 */
public final class PaperPolicies {

    private PaperPolicies() {}

    /** The names {@link #byName} knows, besides {@code paper-sa:WN:R[:SPLITS]}. */
    public static final List<String> NAMES = List.of("paper-static", "paper-reactive", "paper-page", "paper-sa");

    /**
     * A new policy over {@code source}'s trace: {@code paper-static}, {@code paper-reactive},
     * {@code paper-page}, {@code paper-sa} (the author's starting point Wn = 5, R = 0.5, one
     * chunk) or {@code paper-sa:WN:R[:SPLITS]}, e.g. {@code paper-sa:5:0.5:4}.
     *
     * @throws IllegalArgumentException for an unknown name or bad parameters
     */
    public static PlacementPolicy byName(String name, TraceSource source) {
        String n = name.toLowerCase(Locale.ROOT).strip();
        if (n.startsWith("paper-sa:")) {
            String[] p = n.split(":");
            if (p.length != 3 && p.length != 4) {
                throw new IllegalArgumentException("expected paper-sa:WN:R[:SPLITS], got '" + name + "'");
            }
            try {
                return new PaperSaPolicy(source, Integer.parseInt(p[1]), Double.parseDouble(p[2]),
                        p.length == 4 ? Integer.parseInt(p[3]) : 1);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected paper-sa:WN:R[:SPLITS] with numbers, got '" + name + "'");
            }
        }
        return switch (n) {
            case "paper-static" -> new PaperStaticPolicy(source);
            case "paper-reactive" -> new PaperReactivePolicy(source);
            case "paper-page" -> new PaperPagePolicy(source);
            case "paper-sa" -> new PaperSaPolicy(source, 5, 0.5, 1);
            default -> throw new IllegalArgumentException("unknown paper policy '" + name + "' (known: " + NAMES
                    + ", paper-sa:WN:R[:SPLITS])");
        };
    }

    /** Whether {@code name} names one of these variants. */
    public static boolean isPaperPolicy(String name) {
        String n = name.toLowerCase(Locale.ROOT).strip();
        return NAMES.contains(n) || n.startsWith("paper-sa:");
    }
}
