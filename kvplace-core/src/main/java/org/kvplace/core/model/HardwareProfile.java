package org.kvplace.core.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The two memory tiers of one accelerator: a fast tier (HBM) and a slow tier (host memory behind
 * a link), read in parallel. Immutable and thread-safe.
 *
 * @param name          a label for reports
 * @param fastBandwidth fast-tier bandwidth {@code B_F}, bytes per second
 * @param fastCapacity  fast-tier capacity {@code C_F}, bytes (weights included)
 * @param slowRead      link bandwidth in the read direction (slow to accelerator), bytes per second
 * @param slowWrite     link bandwidth in the write direction (accelerator to slow), bytes per second
 * @param slowDram      bandwidth of the slow memory itself, shared by reads and writes, bytes per second
 * @param slowCapacity  slow-tier capacity, bytes
 */
public record HardwareProfile(String name, double fastBandwidth, long fastCapacity, double slowRead,
        double slowWrite, double slowDram, long slowCapacity) {

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException naming the bad field and value
     */
    public HardwareProfile {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must be non-blank, got '" + name + "'");
        }
        positive("fastBandwidth", fastBandwidth);
        positive("slowRead", slowRead);
        positive("slowWrite", slowWrite);
        positive("slowDram", slowDram);
        if (fastCapacity <= 0) {
            throw new IllegalArgumentException("fastCapacity must be positive, got " + fastCapacity);
        }
        if (slowCapacity <= 0) {
            throw new IllegalArgumentException("slowCapacity must be positive, got " + slowCapacity);
        }
    }

    private static void positive(String field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(field + " must be positive and finite, got " + v);
        }
    }

    /** NVIDIA GH200: HBM3e 4.9 TB/s, 24 GB; NVLink-C2C 450 + 450 GB/s; LPDDR5X 500 GB/s, 480 GB. */
    public static HardwareProfile gh200() {
        return new HardwareProfile("gh200", 4.9e12, 24_000_000_000L, 450e9, 450e9, 500e9, 480_000_000_000L);
    }

    /** H100 PCIe with host memory: 3.35 TB/s, 80 GB; PCIe 5 x16 about 55 + 55 GB/s; DRAM 300 GB/s, 1 TB. */
    public static HardwareProfile h100Pcie5() {
        return new HardwareProfile("h100-pcie5", 3.35e12, 80_000_000_000L, 55e9, 55e9, 300e9,
                1_000_000_000_000L);
    }

    /**
     * A preset by name ({@code gh200}, {@code h100-pcie5}).
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static HardwareProfile preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "gh200" -> gh200();
            case "h100-pcie5" -> h100Pcie5();
            default -> throw new IllegalArgumentException("unknown hardware profile '" + name
                    + "' (known: gh200, h100-pcie5, or a .properties file)");
        };
    }

    /**
     * Reads a profile from properties with the keys {@code fast.bandwidth}, {@code fast.capacity},
     * {@code slow.read}, {@code slow.write}, {@code slow.dram}, {@code slow.capacity} (bytes and
     * bytes per second) and an optional {@code name}. Bandwidths must lie in 1 kB/s to 1 EB/s and
     * capacities in 1 byte to 2^62 bytes, so that no step time is infinite or zero and no byte count
     * overflows.
     *
     * @param source names the origin in error messages
     * @throws IllegalArgumentException naming the missing or bad key
     */
    public static HardwareProfile fromProperties(Properties p, String source) {
        return new HardwareProfile(p.getProperty("name", source),
                Profiles.bandwidth(p, "fast.bandwidth", source),
                Profiles.bounded(p, "fast.capacity", source, Profiles.MAX_CAPACITY, "bytes"),
                Profiles.bandwidth(p, "slow.read", source), Profiles.bandwidth(p, "slow.write", source),
                Profiles.bandwidth(p, "slow.dram", source),
                Profiles.bounded(p, "slow.capacity", source, Profiles.MAX_CAPACITY, "bytes"));
    }

    /**
     * Loads a {@code .properties} file (see {@link #fromProperties}).
     *
     * @throws IOException if the file cannot be read, naming the file and the reason
     * @throws IllegalArgumentException naming the missing or bad key, or the line of a malformed
     *     escape
     */
    public static HardwareProfile load(Path file) throws IOException {
        return fromProperties(Profiles.load(file, "hardware profile"), file.toString());
    }
}
