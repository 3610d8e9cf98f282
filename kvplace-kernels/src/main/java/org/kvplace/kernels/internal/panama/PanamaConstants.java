package org.kvplace.kernels.internal.panama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Species and width-derived constants. Only the Panama classes reference this holder, so the
 * scalar fallback path never initialises a Vector API class.
 */
final class PanamaConstants {

    /**
     * Forces a narrower vector width in bits (128, 256 or 512; not wider than the machine's), so
     * that tests cover every width path on a wide machine. Default: the preferred species.
     */
    static final String VECTOR_BITS_PROPERTY = "kvplace.kernels.vectorBits";

    /** The float species of every kernel. */
    static final VectorSpecies<Float> F = floatSpecies();
    /** Shorts with as many lanes as {@link #F} (f16 loads). */
    static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Ints of the same shape as {@link #F} (f16 bit manipulation). */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Lanes of {@link #F}. */
    static final int LANES = F.length();

    private PanamaConstants() {}

    private static VectorSpecies<Float> floatSpecies() {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        String forced = System.getProperty(VECTOR_BITS_PROPERTY);
        if (forced == null) {
            return preferred;
        }
        int bits = switch (forced) {
            case "128" -> 128;
            case "256" -> 256;
            case "512" -> 512;
            default -> throw new IllegalArgumentException(VECTOR_BITS_PROPERTY + "=" + forced
                    + " is not one of 128, 256, 512");
        };
        if (bits > preferred.vectorBitSize()) {
            throw new IllegalArgumentException(VECTOR_BITS_PROPERTY + "=" + forced + " is wider than this machine's "
                    + preferred.vectorBitSize() + "-bit vectors");
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }
}
