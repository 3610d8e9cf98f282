package org.kvplace.core.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The byte sizes of a decoder model as the cost model sees them. Immutable and thread-safe.
 *
 * <p>{@code batch} sequences are decoded in lockstep: each step reads one layer's weights once
 * for all of them and the KV once per sequence. <b>Note:</b> the simulator lets one trace stand
 * for every sequence of the batch, so KV bytes, hits and migrations scale by {@code batch}.
 *
 * <p>Not to be confused with {@link org.kvplace.core.cache.ModelShape}, which sizes the live
 * cache's pages (heads and dimensions); this record only carries bytes.
 *
 * @param name                a label for reports
 * @param layers              decoder layers, at least 1
 * @param kvBytesPerToken     K and V bytes of one token in one layer
 * @param weightBytesPerLayer weight bytes read per layer step ({@code W})
 * @param batch               sequences decoded in lockstep, at least 1
 */
public record ModelProfile(String name, int layers, long kvBytesPerToken, long weightBytesPerLayer, int batch) {

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException naming the bad field and value
     */
    public ModelProfile {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must be non-blank, got '" + name + "'");
        }
        if (layers < 1) {
            throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        }
        if (kvBytesPerToken < 1) {
            throw new IllegalArgumentException("kvBytesPerToken must be >= 1, got " + kvBytesPerToken);
        }
        if (weightBytesPerLayer < 0) {
            throw new IllegalArgumentException("weightBytesPerLayer must be >= 0, got " + weightBytesPerLayer);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (Math.multiplyHigh(layers, weightBytesPerLayer) != 0 || layers * weightBytesPerLayer < 0) {
            throw new IllegalArgumentException("layers " + layers + " x weightBytesPerLayer " + weightBytesPerLayer
                    + " overflows a byte count");
        }
    }

    /** Most layers a properties file may give. */
    static final long MAX_LAYERS = 1 << 16;
    /** Most sequences a properties file may batch. */
    static final long MAX_BATCH = 1 << 16;
    /** Most KV bytes per token and layer a properties file may give (4 GiB). */
    static final long MAX_KV_BYTES_PER_TOKEN = 1L << 32;
    /** Most weight bytes per layer a properties file may give (256 TiB). */
    static final long MAX_WEIGHT_BYTES_PER_LAYER = 1L << 48;

    /** LLaMA-3.1-8B: 32 layers, 8 KV heads x 128 dims x (K,V) x 2 bytes = 4 KiB per token per layer, 0.5 GB weights per layer. */
    public static ModelProfile llama31_8b() {
        return new ModelProfile("llama3.1-8b", 32, 8L * 128 * 2 * 2, 500_000_000L, 1);
    }

    /** LLaMA-3.1-8B sized as if every one of its 32 query heads had its own KV (16 KiB per token per layer). */
    public static ModelProfile llama31_8bMha() {
        return new ModelProfile("llama3.1-8b-mha", 32, 32L * 128 * 2 * 2, 500_000_000L, 1);
    }

    /**
     * This model with another batch.
     *
     * @param batch the new batch size, at least 1
     * @return a profile equal to this one but for its batch
     * @throws IllegalArgumentException if {@code batch < 1}
     */
    public ModelProfile withBatch(int batch) {
        return new ModelProfile(name, layers, kvBytesPerToken, weightBytesPerLayer, batch);
    }

    /** All weight bytes, {@code W_total = layers * W}; they live in the fast tier for the whole run. */
    public long totalWeightBytes() {
        return layers * weightBytesPerLayer;
    }

    /**
     * A preset by name ({@code llama3.1-8b}, {@code llama3.1-8b-mha}), batch 1.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static ModelProfile preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "llama3.1-8b" -> llama31_8b();
            case "llama3.1-8b-mha" -> llama31_8bMha();
            default -> throw new IllegalArgumentException("unknown model '" + name
                    + "' (known: llama3.1-8b, llama3.1-8b-mha, or a .properties file)");
        };
    }

    /**
     * Reads a model from properties with the keys {@code layers}, {@code kv.bytes.per.token},
     * {@code weight.bytes.per.layer}, optional {@code batch} (default 1) and {@code name}. Limits:
     * at most 65,536 layers and sequences, 4 GiB of KV per token and layer, 256 TiB of weights per
     * layer; whether the KV of a trace fits the tiers is checked by {@link CostModel#checkFits}.
     *
     * @throws IllegalArgumentException naming the missing or bad key
     */
    public static ModelProfile fromProperties(Properties p, String source) {
        long layers = Profiles.bounded(p, "layers", source, MAX_LAYERS, "layers");
        int batch = 1;
        if (p.getProperty("batch") != null) {
            batch = (int) Profiles.bounded(p, "batch", source, MAX_BATCH, "sequences");
        }
        return new ModelProfile(p.getProperty("name", source), (int) layers,
                Profiles.bounded(p, "kv.bytes.per.token", source, MAX_KV_BYTES_PER_TOKEN, "bytes"),
                Profiles.bounded(p, "weight.bytes.per.layer", source, MAX_WEIGHT_BYTES_PER_LAYER, "bytes"), batch);
    }

    /**
     * Loads a {@code .properties} file (see {@link #fromProperties}).
     *
     * @throws IOException if the file cannot be read, naming the file and the reason
     * @throws IllegalArgumentException naming the missing or bad key, or the line of a malformed
     *     escape
     */
    public static ModelProfile load(Path file) throws IOException {
        return fromProperties(Profiles.load(file, "model profile"), file.toString());
    }
}
