package org.kvplace.core.trace;

/**
 * The units one step read, as a placement policy sees them: one decode position, one layer, a
 * set of unit ids (tokens or pages) and, when the reader knows it, each unit's attention mass.
 * Implementations are mutable buffers reused from step to step: a policy must not keep a
 * reference beyond the call it was handed one in. Not thread-safe.
 */
public interface StepReads {

    /** The decode position {@code n}: the number of tokens in the cache before this step's write. */
    int position();

    /** The layer {@code l}, from 0. */
    int layer();

    /** Units that exist before this step's write; every read id is below it. */
    int unitCount();

    /**
     * The read set as bit words: bit {@code i} set means unit {@code i} was read. Only the
     * first {@code Bits.words(unitCount())} words are meaningful. Read-only for the caller.
     */
    long[] readBits();

    /** Number of units read. */
    int readCount();

    /** Whether {@link #mass} carries attention masses. */
    boolean hasMass();

    /** The attention mass of a read unit (sums to about 1 over the read set), or 0 when unknown. */
    float mass(int unit);
}
