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
 * <p>Dynamics measured on real models, all off by default (the traces are then those of the
 * ten-field constructor): a share {@code stable} of each layer's persistent set is drawn once and
 * never replaced (stable heads), the rest changes as above (changing heads); the first
 * {@code earlyLayers} layers replace the share {@code earlyVariation} per token instead of
 * {@code variation} (the first layers of real models reuse little); and with probability
 * {@code shift} per decode token and layer the whole changing part is redrawn at once (the rare
 * steps where the attention pattern shifts). Dropped units come back through later draws.
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
 * @param stable         share of the persistent set that never changes, in {@code [0, 1]}
 * @param earlyLayers    how many first layers use {@code earlyVariation}, at least 0
 * @param earlyVariation the variation of those layers, in {@code [0, 1]}
 * @param shift          probability per decode token and layer of redrawing the changing part, in {@code [0, 1]}
 */
public record GeneratorConfig(int promptTokens, int decodeTokens, int layers, int unitTokens, double sparsity,
        int sinkTokens, int recentTokens, double recencyBias, double variation, long seed, double stable,
        int earlyLayers, double earlyVariation, double shift) {

    /** The generator without the optional dynamics (no stable share, no early layers, no shifts). */
    public GeneratorConfig(int promptTokens, int decodeTokens, int layers, int unitTokens, double sparsity,
            int sinkTokens, int recentTokens, double recencyBias, double variation, long seed) {
        this(promptTokens, decodeTokens, layers, unitTokens, sparsity, sinkTokens, recentTokens, recencyBias, variation,
                seed, 0, 0, variation, 0);
    }

    /** Step-to-step variation of the preset {@code low}. */
    public static final double VARIATION_LOW = 0.02;
    /** Step-to-step variation of the preset {@code real}. */
    public static final double VARIATION_REAL = 0.10;
    /** Step-to-step variation of the preset {@code high}. */
    public static final double VARIATION_HIGH = 0.30;

    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException naming the bad field and value
     */
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
        if (!(stable >= 0 && stable <= 1)) {
            throw new IllegalArgumentException("stable must be in [0, 1], got " + stable);
        }
        if (earlyLayers < 0) {
            throw new IllegalArgumentException("early layers must be >= 0, got " + earlyLayers);
        }
        if (!(earlyVariation >= 0 && earlyVariation <= 1)) {
            throw new IllegalArgumentException("early variation must be in [0, 1], got " + earlyVariation);
        }
        if (!(shift >= 0 && shift <= 1)) {
            throw new IllegalArgumentException("shift must be in [0, 1], got " + shift);
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
     * high or a fraction), {@code seed}, {@code stable} (a fraction), {@code early} ({@code K:V}: the
     * first K layers replace the fraction V per token), {@code shift} (a probability).
     *
     * @throws IllegalArgumentException naming the unknown key or bad value
     */
    public static GeneratorConfig parse(String spec) {
        GeneratorConfig c = paper();
        int prompt = c.promptTokens, decode = c.decodeTokens, layers = c.layers, unit = c.unitTokens;
        int sinks = c.sinkTokens, recent = c.recentTokens;
        double sparsity = c.sparsity, recency = c.recencyBias, variation = c.variation;
        long seed = c.seed;
        double stable = 0, earlyVariation = -1, shift = 0;
        int early = 0;
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
                    case "stable" -> stable = number(k, v);
                    case "shift" -> shift = number(k, v);
                    case "early" -> {
                        int colon = v.indexOf(':');
                        if (colon <= 0) {
                            throw new IllegalArgumentException("early expects LAYERS:VARIATION, got '" + v + "'");
                        }
                        early = integer(k, v.substring(0, colon));
                        earlyVariation = variationPreset(v.substring(colon + 1));
                    }
                    default -> throw new IllegalArgumentException("unknown generator key '" + k + "' (known: prompt,"
                            + " decode, layers, unit, sparsity, sinks, recent, recency, variation, seed, stable, early,"
                            + " shift)");
                }
            }
        }
        return new GeneratorConfig(prompt, decode, layers, unit, sparsity, sinks, recent, recency, variation, seed,
                stable, early, earlyVariation < 0 ? variation : earlyVariation, shift);
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
                + recencyBias + ",variation=" + variation + ",seed=" + seed
                + (stable > 0 ? ",stable=" + stable : "")
                + (earlyLayers > 0 ? ",early=" + earlyLayers + ":" + earlyVariation : "")
                + (shift > 0 ? ",shift=" + shift : "");
    }
}
