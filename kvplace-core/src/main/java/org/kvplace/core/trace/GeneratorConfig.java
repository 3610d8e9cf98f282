package org.kvplace.core.trace;

import java.util.Locale;

/**
 * Parameters of {@link TraceGenerator}. Immutable.
 *
 * <p>Each step of layer {@code l} at position {@code n} reads, out of the {@code U} units that
 * exist, {@code max(sinks + recent, round((1 - sparsity) * U))}: the first sink units, the
 * newest recent units, and a persistent set drawn from the units in between. From one decode
 * token to the next, a fraction {@code variation} of that persistent set is replaced by new
 * draws; a draw comes from the newest quarter of the middle with probability
 * {@code recencyBias}, else uniformly.
 *
 * @param promptTokens tokens before the first decode step
 * @param decodeTokens decode positions to generate
 * @param layers       layers per position
 * @param unitTokens   tokens per unit (1 = token granularity, 16 = pages)
 * @param sparsity     fraction of the existing units NOT read, in {@code [0, 1)}
 * @param sinkTokens   leading tokens always read
 * @param recentTokens newest tokens always read
 * @param recencyBias  probability that a new draw comes from the newest quarter, in {@code [0, 1]}
 * @param variation    fraction of the persistent set replaced each decode token, in {@code [0, 1]}
 * @param seed         random seed; equal configs give equal traces
 */
public record GeneratorConfig(int promptTokens, int decodeTokens, int layers, int unitTokens, double sparsity,
        int sinkTokens, int recentTokens, double recencyBias, double variation, long seed) {

    /** Step-to-step variation of the preset {@code low}. */
    public static final double VARIATION_LOW = 0.02;
    /** Step-to-step variation of the preset {@code real}. */
    public static final double VARIATION_REAL = 0.10;
    /** Step-to-step variation of the preset {@code high}. */
    public static final double VARIATION_HIGH = 0.30;

    /** Validates the fields. @throws IllegalArgumentException naming the bad field and value */
    public GeneratorConfig {
        new TraceHeader(unitTokens, layers, promptTokens, decodeTokens, false);
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
        }
        if (!(recencyBias >= 0 && recencyBias <= 1)) {
            throw new IllegalArgumentException("recency must be in [0, 1], got " + recencyBias);
        }
        if (!(variation >= 0 && variation <= 1)) {
            throw new IllegalArgumentException("variation must be in [0, 1], got " + variation);
        }
        if (sinkTokens < 0 || recentTokens < 0) {
            throw new IllegalArgumentException("sinks and recent must be >= 0, got " + sinkTokens + " and "
                    + recentTokens);
        }
    }

    /** The paper's scale: 31,299 prompt tokens, 10,240 decoded, 32 layers, token granularity, 60% sparsity, real variation. */
    public static GeneratorConfig paper() {
        return new GeneratorConfig(31_299, 10_240, 32, 1, 0.6, 4, 64, 0.5, VARIATION_REAL, 1);
    }

    /** The trace header this config produces. */
    public TraceHeader header() {
        return new TraceHeader(unitTokens, layers, promptTokens, decodeTokens, false);
    }

    /** A variation preset by name: {@code low}, {@code real}, {@code high}, or a number. */
    public static double variationPreset(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "low" -> VARIATION_LOW;
            case "real" -> VARIATION_REAL;
            case "high" -> VARIATION_HIGH;
            default -> number("variation", s);
        };
    }

    /**
     * Parses {@code key=value,...} over {@link #paper()}'s values. Keys: {@code prompt},
     * {@code decode}, {@code layers}, {@code unit}, {@code sparsity} (a fraction, or a percentage
     * above 1), {@code sinks}, {@code recent}, {@code recency}, {@code variation} (low, real,
     * high or a fraction), {@code seed}.
     *
     * @throws IllegalArgumentException naming the unknown key or bad value
     */
    public static GeneratorConfig parse(String spec) {
        GeneratorConfig c = paper();
        int prompt = c.promptTokens, decode = c.decodeTokens, layers = c.layers, unit = c.unitTokens;
        int sinks = c.sinkTokens, recent = c.recentTokens;
        double sparsity = c.sparsity, recency = c.recencyBias, variation = c.variation;
        long seed = c.seed;
        if (!spec.isBlank()) {
            for (String kv : spec.split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("expected key=value, got '" + kv + "'");
                }
                String k = kv.substring(0, eq).trim();
                String v = kv.substring(eq + 1).trim();
                switch (k) {
                    case "prompt" -> prompt = integer(k, v);
                    case "decode" -> decode = integer(k, v);
                    case "layers" -> layers = integer(k, v);
                    case "unit" -> unit = integer(k, v);
                    case "sinks" -> sinks = integer(k, v);
                    case "recent" -> recent = integer(k, v);
                    case "sparsity" -> {
                        double s = number(k, v);
                        sparsity = s > 1 ? s / 100 : s;
                    }
                    case "recency" -> recency = number(k, v);
                    case "variation" -> variation = variationPreset(v);
                    case "seed" -> seed = (long) number(k, v);
                    default -> throw new IllegalArgumentException("unknown generator key '" + k
                            + "' (known: prompt, decode, layers, unit, sparsity, sinks, recent, recency, variation, seed)");
                }
            }
        }
        return new GeneratorConfig(prompt, decode, layers, unit, sparsity, sinks, recent, recency, variation, seed);
    }

    private static int integer(String k, String v) {
        try {
            return Integer.parseInt(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(k + " expects an integer, got '" + v + "'");
        }
    }

    private static double number(String k, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(k + " expects a number, got '" + v + "'");
        }
    }

    /** This config as {@code key=value,...}, parseable by {@link #parse}. */
    public String spec() {
        return "prompt=" + promptTokens + ",decode=" + decodeTokens + ",layers=" + layers + ",unit=" + unitTokens
                + ",sparsity=" + sparsity + ",sinks=" + sinkTokens + ",recent=" + recentTokens + ",recency="
                + recencyBias + ",variation=" + variation + ",seed=" + seed;
    }
}
