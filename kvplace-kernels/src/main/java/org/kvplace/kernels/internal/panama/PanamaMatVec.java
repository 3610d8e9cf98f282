package org.kvplace.kernels.internal.panama;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.kvplace.kernels.ScalarMatVec;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot products. Loaded only by name from {@code org.kvplace.kernels.MatVecs} when the
 * {@code jdk.incubator.vector} module is present. F32 and Q8_0 rows are vectorised (Q8_0 when the
 * preferred float species has 8 or 16 lanes, so that a 64- or 128-bit byte vector widens into it);
 * f16 rows use the scalar loop.
 */
public final class PanamaMatVec extends ScalarMatVec {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bytes species with as many lanes as {@link #SPECIES}, or null when no such shape exists. */
    private static final VectorSpecies<Byte> BYTES = SPECIES.length() == 8 || SPECIES.length() == 16
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(SPECIES.length() * Byte.SIZE)) : null;

    /** Public no-argument constructor for reflective loading. */
    public PanamaMatVec() {}

    @Override
    public String name() {
        return "panama";
    }

    @Override
    public float dotF32(MemorySegment w, long offset, float[] x, int n) {
        int lanes = SPECIES.length();
        if (n < 2 * lanes) {
            return super.dotF32(w, offset, x, n);
        }
        // Four independent accumulators hide the FMA latency. Loads stay inline: a vector returned
        // from a helper that is not inlined is boxed (an allocation per load).
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        FloatVector acc3 = FloatVector.zero(SPECIES);
        int i = 0;
        int bound4 = n - n % (4 * lanes);
        for (; i < bound4; i += 4 * lanes) {
            long o = offset + (long) i * Float.BYTES;
            long step = (long) lanes * Float.BYTES;
            acc0 = FloatVector.fromMemorySegment(SPECIES, w, o, LE).fma(FloatVector.fromArray(SPECIES, x, i), acc0);
            acc1 = FloatVector.fromMemorySegment(SPECIES, w, o + step, LE)
                    .fma(FloatVector.fromArray(SPECIES, x, i + lanes), acc1);
            acc2 = FloatVector.fromMemorySegment(SPECIES, w, o + 2 * step, LE)
                    .fma(FloatVector.fromArray(SPECIES, x, i + 2 * lanes), acc2);
            acc3 = FloatVector.fromMemorySegment(SPECIES, w, o + 3 * step, LE)
                    .fma(FloatVector.fromArray(SPECIES, x, i + 3 * lanes), acc3);
        }
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += lanes) {
            acc0 = FloatVector.fromMemorySegment(SPECIES, w, offset + (long) i * Float.BYTES, LE)
                    .fma(FloatVector.fromArray(SPECIES, x, i), acc0);
        }
        float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += w.get(F32, offset + (long) i * Float.BYTES) * x[i];
        }
        return sum;
    }

    @Override
    public float dotQ8(MemorySegment w, long offset, float[] x, int n) {
        assert n % 32 == 0 : n;
        if (BYTES == null) {
            return super.dotQ8(w, offset, x, n);
        }
        int lanes = SPECIES.length();
        // Widen each chunk of int8 quants to floats, scale by the block's f16 scale, and accumulate
        // into one vector; one reduction per row.
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int b = 0; b < n / 32; b++) {
            long block = offset + 34L * b;
            FloatVector scale = FloatVector.broadcast(SPECIES, Float.float16ToFloat(w.get(F16, block)));
            for (int i = 0; i < 32; i += lanes) {
                FloatVector q = (FloatVector) ByteVector.fromMemorySegment(BYTES, w, block + 2 + i,
                        LE).convertShape(VectorOperators.B2F, SPECIES, 0);
                acc = q.mul(scale).fma(FloatVector.fromArray(SPECIES, x, b * 32 + i), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public String toString() {
        return "panama matvec (" + SPECIES.vectorBitSize() + "-bit, " + SPECIES.length() + " lanes)";
    }
}
