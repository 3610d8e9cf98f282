package org.kvplace.core.sim;

/**
 * What one replay (or one reference) measured. Times are modelled seconds, sizes bytes summed
 * over the batch. {@code bytesFast} counts everything read from the fast tier, weights
 * included; {@code bytesSlow} the KV read from the slow tier.
 *
 * @param policy         policy or reference name
 * @param detail         parameters (e.g. the oracle's Wn and R), or empty
 * @param decodeTokens   decoded tokens replayed
 * @param totalTime      {@code T}, seconds
 * @param weightBytes    weight bytes read
 * @param kvFastBytes    KV bytes read from the fast tier ({@code sum a})
 * @param kvSlowBytes    KV bytes read from the slow tier
 * @param bytesMigrated  bytes promoted plus bytes demoted
 * @param promotedUnits  units promoted
 * @param demotedUnits   units demoted
 * @param layerTime      seconds per layer
 * @param layerHitRate   per layer, KV bytes read from the fast tier over all KV bytes read
 * @param allFastTime    the all-fast reference over the same trace
 * @param balancedTime   the balanced bound over the same trace
 */
public record SimulationResult(String policy, String detail, int decodeTokens, double totalTime, long weightBytes,
        long kvFastBytes, long kvSlowBytes, long bytesMigrated, long promotedUnits, long demotedUnits,
        double[] layerTime, double[] layerHitRate, double allFastTime, double balancedTime) {

    /** Decode throughput, tokens per second (per sequence). */
    public double tokensPerSecond() {
        return decodeTokens / totalTime;
    }

    /** Fast-tier hit rate by bytes, KV only. */
    public double fastHitRate() {
        long all = kvFastBytes + kvSlowBytes;
        return all == 0 ? 1 : (double) kvFastBytes / all;
    }

    /** Fast-tier hit rate by bytes, weights included. */
    public double fastHitRateWithWeights() {
        long all = weightBytes + kvFastBytes + kvSlowBytes;
        return all == 0 ? 1 : (double) (weightBytes + kvFastBytes) / all;
    }

    /** Bytes read from the fast tier, weights included. */
    public long bytesFast() {
        return weightBytes + kvFastBytes;
    }

    /** Bytes read from the slow tier. */
    public long bytesSlow() {
        return kvSlowBytes;
    }

    /** The best reference time: the smaller of all-fast and the balanced bound. */
    public double bestReferenceTime() {
        return Math.min(allFastTime, balancedTime);
    }

    /** Throughput normalised to the best reference (1 = as fast as the best reference). */
    public double normalised() {
        return bestReferenceTime() / totalTime;
    }

    /** Throughput normalised to all-fast. */
    public double normalisedToAllFast() {
        return allFastTime / totalTime;
    }
}
