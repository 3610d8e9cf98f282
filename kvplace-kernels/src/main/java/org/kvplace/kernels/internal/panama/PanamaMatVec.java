package org.kvplace.kernels.internal.panama;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.kvplace.kernels.ScalarMatVec;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API dot products. Loaded only by name from {@code org.kvplace.kernels.MatVecs} when the
 * {@code jdk.incubator.vector} module is present. F32 and Q8_0 rows are vectorised (Q8_0 when the
 * preferred float species has 8 or 16 lanes, so that a 64- or 128-bit byte vector widens into it);
 * f16 rows are converted in registers (see {@code halves}).
 */
public final class PanamaMatVec extends ScalarMatVec {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bytes species with as many lanes as {@link #SPECIES}, or null when no such shape exists. */
    private static final VectorSpecies<Byte> BYTES = SPECIES.length() == 8 || SPECIES.length() == 16
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(SPECIES.length() * Byte.SIZE)) : null;

    /** Shorts species with as many lanes as {@link #SPECIES} (f16 rows). */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class,
            VectorShape.forBitSize(SPECIES.length() * Short.SIZE));
    /** Ints species of {@link #SPECIES}'s shape. */
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SPECIES.vectorShape());

    /** {@code LEADING[k]}: the lanes below {@code k} (16 lanes; unused at other widths). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static final VectorMask<Float>[] LEADING = new VectorMask[17];

    static {
        for (int k = 0; k <= 16; k++) {
            LEADING[k] = SPECIES.length() == 16 ? VectorMask.fromLong(SPECIES, (1L << k) - 1) : null;
        }
    }

    /**
     * How far ahead of its loads {@link #dotF16} reads one long per 64 bytes of the row (a load
     * used as a prefetch, which the Vector API lacks). On the development machine an f16 row read
     * from DRAM went from 15 to 28-29 GB/s with it (26-28 at 1 or 2 KiB, 24-25 at 4 KiB); rows already
     * in cache lose 7-22% to it (27-31 -> 21-29 GB/s over a 1 MiB matrix), but a model's weights come
     * from DRAM. Q8_0 and f32 rows were slower with it (their loops are compute-bound or already
     * overlap their loads), so only f16 rows touch ahead.
     */
    private static final long TOUCH_AHEAD = 512;
    private static final ValueLayout.OfLong TOUCH = ValueLayout.JAVA_LONG_UNALIGNED;

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

    /**
     * Four rows at a time, one accumulator each sharing every load of {@code x}; the four
     * accumulators are summed by one transposing tree ({@link PanamaLaneTree}: two joins, then two
     * swaps) instead of one horizontal reduction per row, whose float adds C2 emits one lane after
     * the other. Every row's lanes are summed in the same order whichever of the four places it
     * takes (float addition is commutative), and a last group of fewer rows repeats its last row,
     * so a row's value never depends on {@code from} and {@code to}. Columns past the last whole
     * vector are one more vector per row, the row's last 16 columns with the lanes already counted
     * multiplied by zero.
     */
    @Override
    public void dotF32Rows(MemorySegment w, long offset, long rowBytes, float[] x, int n, float[] out, int from,
            int to) {
        int lanes = SPECIES.length();
        // The tree's masks and shuffles are of the kernels' species, which a test property can narrow.
        if (lanes != 16 || PanamaConstants.LANES != 16 || n < lanes) {
            super.dotF32Rows(w, offset, rowBytes, x, n, out, from, to);
            return;
        }
        assert x.length >= n && out.length >= to && rowBytes >= 4L * n : n + " " + rowBytes;
        int bound = SPECIES.loopBound(n);
        // Columns past the last whole vector: the row's last 16 columns times x there, with the lanes
        // of columns already counted zeroed in x (read once per product).
        int rest = n - bound;
        long restOff = (long) (n - 16) * Float.BYTES;
        FloatVector xRest = rest == 0 ? FloatVector.zero(SPECIES)
                : FloatVector.fromArray(SPECIES, x, n - 16).blend(0f, LEADING[16 - rest]);
        for (int r = from; r < to; r += 4) {
            int last = to - 1;
            long o0 = offset + r * rowBytes;
            long o1 = offset + Math.min(r + 1, last) * rowBytes;
            long o2 = offset + Math.min(r + 2, last) * rowBytes;
            long o3 = offset + Math.min(r + 3, last) * rowBytes;
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector a1 = FloatVector.zero(SPECIES);
            FloatVector a2 = FloatVector.zero(SPECIES);
            FloatVector a3 = FloatVector.zero(SPECIES);
            for (int i = 0; i < bound; i += 16) {
                FloatVector xv = FloatVector.fromArray(SPECIES, x, i);
                long b = (long) i * Float.BYTES;
                a0 = FloatVector.fromMemorySegment(SPECIES, w, o0 + b, LE).fma(xv, a0);
                a1 = FloatVector.fromMemorySegment(SPECIES, w, o1 + b, LE).fma(xv, a1);
                a2 = FloatVector.fromMemorySegment(SPECIES, w, o2 + b, LE).fma(xv, a2);
                a3 = FloatVector.fromMemorySegment(SPECIES, w, o3 + b, LE).fma(xv, a3);
            }
            if (rest != 0) {
                a0 = FloatVector.fromMemorySegment(SPECIES, w, o0 + restOff, LE).fma(xRest, a0);
                a1 = FloatVector.fromMemorySegment(SPECIES, w, o1 + restOff, LE).fma(xRest, a1);
                a2 = FloatVector.fromMemorySegment(SPECIES, w, o2 + restOff, LE).fma(xRest, a2);
                a3 = FloatVector.fromMemorySegment(SPECIES, w, o3 + restOff, LE).fma(xRest, a3);
            }
            // Lane i of s01 holds a pair of lanes of a0 (i even) or a1 (i odd), s the sums of four lanes
            // of row i % 4; the swaps then add the four groups of four into lanes 0 .. 3.
            FloatVector s01 = a0.blend(a1, PanamaLaneTree.BIT0)
                    .add(a1.blend(a0, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector s23 = a2.blend(a3, PanamaLaneTree.BIT0)
                    .add(a3.blend(a2, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector s = s01.blend(s23, PanamaLaneTree.BIT1)
                    .add(s23.blend(s01, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            s = s.add(s.rearrange(PanamaLaneTree.SWAP8));
            s = s.add(s.rearrange(PanamaLaneTree.SWAP4));
            out[r] = s.lane(0);
            if (r + 1 < to) {
                out[r + 1] = s.lane(1);
            }
            if (r + 2 < to) {
                out[r + 2] = s.lane(2);
            }
            if (r + 3 < to) {
                out[r + 3] = s.lane(3);
            }
        }
    }

    @Override
    public float dotF16(MemorySegment w, long offset, float[] x, int n) {
        int lanes = SPECIES.length();
        if (n < 2 * lanes) {
            return super.dotF16(w, offset, x, n);
        }
        // JDK 25's Vector API has no half-to-float conversion, so the halves are widened to ints and
        // rebuilt as floats in registers (halves()); two accumulators, as in dotF32.
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        int i = 0;
        int bound2 = n - n % (2 * lanes);
        // One long TOUCH_AHEAD bytes ahead per 2 * lanes halves (64 bytes at 16 lanes), clamped to
        // the segment: the miss starts while the conversions of the rows before it run.
        long last = w.byteSize() - Long.BYTES;
        long touched = 0;
        for (; i < bound2; i += 2 * lanes) {
            long o = offset + 2L * i;
            touched ^= w.get(TOUCH, Math.min(o + TOUCH_AHEAD, last));
            acc0 = halves(w, o).fma(FloatVector.fromArray(SPECIES, x, i), acc0);
            acc1 = halves(w, o + 2L * lanes).fma(FloatVector.fromArray(SPECIES, x, i + lanes), acc1);
        }
        PanamaTouch.keep(touched);
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += lanes) {
            acc0 = halves(w, offset + 2L * i).fma(FloatVector.fromArray(SPECIES, x, i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(w.get(F16, offset + 2L * i)) * x[i];
        }
        return sum;
    }

    /**
     * {@code lanes} halves at {@code o} as floats, exactly as {@link Float#float16ToFloat}: the
     * magnitude's bits shifted into a float's place and scaled by {@code 2^112} (which also makes
     * half subnormals normal floats), infinities and NaNs given the all-ones exponent, then the sign.
     */
    private static FloatVector halves(MemorySegment w, long o) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SHORTS, w, o, LE).convertShape(VectorOperators.S2I,
                INTS, 0);
        IntVector mag = h.and(0x7fff);
        IntVector shifted = mag.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector bits = finite.blend(shifted.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    @Override
    public float readSum(MemorySegment w, long offset, long bytes) {
        return PanamaReadBaseline.sum(w, offset, bytes);
    }

    @Override
    public float dotQ8(MemorySegment w, long offset, float[] x, int n) {
        assert n % 32 == 0 : n;
        if (BYTES == null) {
            return super.dotQ8(w, offset, x, n);
        }
        // Per block: the int8 quants widened into the float species and multiplied with x, summed in
        // registers, then scaled into an accumulator by one FMA; blocks alternate between two
        // accumulators, so the FMA latency is paid once per two blocks.
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        int blocks = n / 32;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long block = offset + 34L * b;
            acc0 = block(w, block, x, b * 32).fma(scale(w, block), acc0);
            acc1 = block(w, block + 34, x, b * 32 + 32).fma(scale(w, block + 34), acc1);
        }
        if (b < blocks) {
            long block = offset + 34L * b;
            acc0 = block(w, block, x, b * 32).fma(scale(w, block), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private static FloatVector scale(MemorySegment w, long block) {
        return FloatVector.broadcast(SPECIES, Float.float16ToFloat(w.get(F16, block)));
    }

    /** The unscaled products of one Q8_0 block's 32 quants with {@code x[from .. from + 32)}, lane-wise summed. */
    private static FloatVector block(MemorySegment w, long block, float[] x, int from) {
        int lanes = SPECIES.length();
        FloatVector p = quants(w, block + 2).mul(FloatVector.fromArray(SPECIES, x, from));
        for (int i = lanes; i < 32; i += lanes) {
            p = quants(w, block + 2 + i).fma(FloatVector.fromArray(SPECIES, x, from + i), p);
        }
        return p;
    }

    private static FloatVector quants(MemorySegment w, long o) {
        return (FloatVector) ByteVector.fromMemorySegment(BYTES, w, o, LE).convertShape(VectorOperators.B2F, SPECIES, 0);
    }

    @Override
    public String toString() {
        return "panama matvec (" + SPECIES.vectorBitSize() + "-bit, " + SPECIES.length() + " lanes)";
    }
}
