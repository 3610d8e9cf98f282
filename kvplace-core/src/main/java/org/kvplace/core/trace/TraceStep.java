package org.kvplace.core.trace;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * One step of a trace, as a reusable mutable buffer: position, layer and the set of units read
 * (bit words), with optional attention masses. Sized once for a trace's {@link
 * TraceHeader#maxUnits()}; filling it allocates nothing. Not thread-safe.
 */
public final class TraceStep implements StepReads {

    private final long[] bits;
    private final float[] mass;
    private int position;
    private int layer;
    private int unitCount;
    private int readCount;
    private boolean hasMass;

    /** A buffer for up to {@code maxUnits} units per layer, with room for masses if asked. */
    public TraceStep(int maxUnits, boolean withMass) {
        if (maxUnits < 0) {
            throw new IllegalArgumentException("maxUnits must be >= 0, got " + maxUnits);
        }
        this.bits = new long[Bits.words(maxUnits) + 1];
        this.mass = withMass ? new float[maxUnits] : null;
    }

    /** A buffer sized for {@code header}. */
    public static TraceStep forHeader(TraceHeader header) {
        return new TraceStep(header.maxUnits(), header.hasMass());
    }

    /** Capacity in units. */
    public int capacity() {
        return (bits.length - 1) << 6;
    }

    /**
     * Starts a new, empty step.
     *
     * @throws IllegalArgumentException if {@code unitCount} exceeds the capacity
     */
    public void reset(int position, int layer, int unitCount) {
        if (unitCount < 0 || unitCount > capacity()) {
            throw new IllegalArgumentException("unitCount " + unitCount + " outside [0, " + capacity() + "]");
        }
        Arrays.fill(bits, 0, Bits.words(Math.max(this.unitCount, unitCount)), 0L);
        this.position = position;
        this.layer = layer;
        this.unitCount = unitCount;
        this.readCount = 0;
        this.hasMass = false;
    }

    /**
     * Marks a unit as read (idempotent).
     *
     * @throws IllegalArgumentException if {@code unit} is outside {@code [0, unitCount)}
     */
    public void add(int unit) {
        if (unit < 0 || unit >= unitCount) {
            throw new IllegalArgumentException("step n=" + position + " l=" + layer + ": unit " + unit
                    + " outside [0, " + unitCount + ")");
        }
        long m = 1L << unit;
        int w = unit >>> 6;
        if ((bits[w] & m) == 0) {
            bits[w] |= m;
            readCount++;
        }
    }

    /**
     * Marks units {@code [from, to)} as read.
     *
     * @throws IllegalArgumentException if the range is not within {@code [0, unitCount)}
     */
    public void addRange(int from, int to) {
        if (from < 0 || to > unitCount || from > to) {
            throw new IllegalArgumentException("step n=" + position + " l=" + layer + ": range [" + from + ", " + to
                    + ") outside [0, " + unitCount + ")");
        }
        Bits.setRange(bits, from, to);
        recount();
    }

    /**
     * Unmarks a unit.
     *
     * @param unit the unit's index in this step
     * @throws IllegalArgumentException if {@code unit} is out of range
     */
    public void remove(int unit) {
        if (unit < 0 || unit >= unitCount) {
            throw new IllegalArgumentException("step n=" + position + " l=" + layer + ": unit " + unit
                    + " outside [0, " + unitCount + ")");
        }
        long m = 1L << unit;
        int w = unit >>> 6;
        if ((bits[w] & m) != 0) {
            bits[w] &= ~m;
            readCount--;
        }
    }

    /** Recomputes the read count after a caller wrote {@link #readBits()} words directly. */
    public void recount() {
        readCount = Bits.count(bits, Bits.words(unitCount));
    }

    /**
     * Sets the attention mass of a unit.
     *
     * @throws IllegalStateException if the buffer was created without room for masses
     */
    public void setMass(int unit, float m) {
        if (mass == null) {
            throw new IllegalStateException("this step buffer has no room for masses");
        }
        mass[unit] = m;
        hasMass = true;
    }

    /**
     * Copies another step into this one.
     *
     * @param o the step to copy
     * @throws IllegalArgumentException if it does not fit
     */
    public void copyFrom(TraceStep o) {
        reset(o.position, o.layer, o.unitCount);
        System.arraycopy(o.bits, 0, bits, 0, Bits.words(o.unitCount));
        readCount = o.readCount;
        if (o.hasMass && mass != null) {
            System.arraycopy(o.mass, 0, mass, 0, o.unitCount);
            hasMass = true;
        }
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int layer() {
        return layer;
    }

    @Override
    public int unitCount() {
        return unitCount;
    }

    @Override
    public long[] readBits() {
        return bits;
    }

    @Override
    public int readCount() {
        return readCount;
    }

    @Override
    public boolean hasMass() {
        return hasMass;
    }

    @Override
    public float mass(int unit) {
        return hasMass ? mass[unit] : 0f;
    }

    /** Whether a unit was read. */
    public boolean contains(int unit) {
        return unit >= 0 && unit < unitCount && Bits.get(bits, unit);
    }

    /** The read ids in ascending order (allocates; for tests and tools). */
    public int[] ids() {
        int[] out = new int[readCount];
        int k = 0;
        for (int i = Bits.nextSet(bits, 0, unitCount); i >= 0; i = Bits.nextSet(bits, i + 1, unitCount)) {
            out[k++] = i;
        }
        return out;
    }

    @Override
    public String toString() {
        return "TraceStep[n=" + position + ", l=" + layer + ", units=" + unitCount + ", read=" + readCount + "]";
    }
}
