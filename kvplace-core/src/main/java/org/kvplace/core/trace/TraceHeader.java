package org.kvplace.core.trace;

/**
 * What a trace covers. Steps come in order: for each decode position {@code n} from
 * {@code promptTokens} to {@code promptTokens + decodeTokens - 1}, for each layer from 0. Step
 * {@code (n, l)} reads units among those holding tokens {@code 0..n-1} and writes token {@code n}.
 *
 * @param unitTokens   tokens per unit: 1 for token granularity, the page size for pages
 * @param layers       layers per decode token
 * @param promptTokens tokens in the cache before the first decode step
 * @param decodeTokens decode positions traced
 * @param hasMass      whether steps carry attention masses
 */
public record TraceHeader(int unitTokens, int layers, int promptTokens, int decodeTokens, boolean hasMass) {

    /**
     * Most unit-layers a trace may cover: {@code layers * maxUnits() <= 2^27} (134,217,728; for
     * example 128 layers of a million tokens). Readers, the simulator and the policies keep state
     * per unit-layer (a bit in the placement and in each buffered step, an int in the reactive
     * policy's LRU: 512 MiB at the limit), so every trace source checks it when the header is made,
     * before anything is sized by it. The paper's traces cover about 1.3 million.
     */
    public static final long MAX_UNIT_LAYERS = 1L << 27;

    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException naming the bad field and value
     */
    public TraceHeader {
        if (unitTokens < 1 || unitTokens > 1 << 16) {
            throw new IllegalArgumentException("unitTokens must be in [1, 65536], got " + unitTokens);
        }
        if (layers < 1 || layers > 1 << 16) {
            throw new IllegalArgumentException("layers must be in [1, 65536], got " + layers);
        }
        if (promptTokens < 1) {
            throw new IllegalArgumentException("promptTokens must be >= 1, got " + promptTokens);
        }
        if (decodeTokens < 0) {
            throw new IllegalArgumentException("decodeTokens must be >= 0, got " + decodeTokens);
        }
        if ((long) promptTokens + decodeTokens > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("promptTokens + decodeTokens too large: " + promptTokens + " + "
                    + decodeTokens);
        }
        long units = Math.ceilDiv((long) promptTokens + decodeTokens, unitTokens);
        if (units * layers > MAX_UNIT_LAYERS) {
            throw new IllegalArgumentException(layers + " layers x " + units + " units = " + units * layers
                    + " unit-layers exceeds the supported " + MAX_UNIT_LAYERS + " (TraceHeader.MAX_UNIT_LAYERS)");
        }
    }

    /** Units holding tokens {@code 0..position-1}: {@code ceil(position / unitTokens)}. */
    public int unitsBefore(int position) {
        return Math.ceilDiv(position, unitTokens);
    }

    /** Units of one layer at the end of the trace. */
    public int maxUnits() {
        return unitsBefore(promptTokens + decodeTokens);
    }

    /** Steps in the trace: {@code decodeTokens * layers}. */
    public long steps() {
        return (long) decodeTokens * layers;
    }
}
