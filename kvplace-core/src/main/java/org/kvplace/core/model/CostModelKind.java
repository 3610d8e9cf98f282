package org.kvplace.core.model;

import java.util.Locale;
import java.util.Properties;

/**
 * Which per-step cost model prices a replay: {@link #KVPLACE} ({@link CostModel}, built from the
 * paper's text) or {@link #PAPER} ({@link PaperCostModel}, the inclusive model of the paper
 * author's simulator). Results of the two are never mixed in one report row.
 */
public enum CostModelKind {
    /** kvplace's model, {@link CostModel}. */
    KVPLACE,
    /** The paper author's inclusive model, {@link PaperCostModel}. */
    PAPER;

    /** The profile key that selects a model: {@code cost.model=kvplace|paper}. */
    public static final String KEY = "cost.model";

    /** The name used in options, profiles and reports ({@code kvplace}, {@code paper}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code kvplace} or {@code paper} ({@code inclusive} is accepted for {@code paper}).
     *
     * @param source names the option or file in the message
     * @throws IllegalArgumentException naming the bad value and its source
     */
    public static CostModelKind parse(String value, String source) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "kvplace" -> KVPLACE;
            case "paper", "inclusive" -> PAPER;
            default -> throw new IllegalArgumentException(source + ": unknown cost model '" + value
                    + "' (known: kvplace, paper)");
        };
    }

    /**
     * The model named by {@link #KEY} in profile properties, or {@code null} when the key is absent.
     *
     * @throws IllegalArgumentException naming the file and the bad value
     */
    public static CostModelKind fromProperties(Properties p, String source) {
        String v = p.getProperty(KEY);
        return v == null ? null : parse(v, source + ": key '" + KEY + "'");
    }
}
