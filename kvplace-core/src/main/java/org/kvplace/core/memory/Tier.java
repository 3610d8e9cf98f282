package org.kvplace.core.memory;

import java.lang.foreign.MemorySegment;

/**
 * A read-only view of one memory tier ({@link TierSlab#view()}): its sizes, its slot occupancy,
 * the bytes read from and written to it, and a read-only segment over its slab. It cannot take
 * or free slots or close the tier: those belong to the slab's owner (for a cache's tiers, the
 * cache), so a caller holding the view cannot hand a used slot to another page.
 *
 * <p>Lifetime: valid while the tier is open; {@link #slab()} and {@link #slotOffset} throw
 * {@link IllegalStateException} after the owner closed it. Thread-safe.
 */
public final class Tier {

    private final TierSlab owner;
    private final MemorySegment readOnlySlab;

    Tier(TierSlab owner) {
        this.owner = owner;
        this.readOnlySlab = owner.slab().asReadOnly();
    }

    /** Which tier this is. */
    public TierKind kind() {
        return owner.kind();
    }

    /** The configuration the tier was built from. */
    public TierSpec spec() {
        return owner.spec();
    }

    /** Bytes per slot as configured (the page size). */
    public long slotBytes() {
        return owner.slotBytes();
    }

    /** Distance in bytes between consecutive slots: the slot size rounded up to 64. */
    public long slotStride() {
        return owner.slotStride();
    }

    /** Capacity in slots (pages). */
    public int capacitySlots() {
        return owner.capacitySlots();
    }

    /** Capacity in bytes of page data ({@code slots * slotBytes}). */
    public long capacityBytes() {
        return owner.capacityBytes();
    }

    /** The read-direction throttle of a slow tier, or {@code null} when the tier is not throttled. */
    public BandwidthThrottle throttle() {
        return owner.throttle();
    }

    /** The write-direction throttle of a slow tier, or {@code null} when the tier is not throttled. */
    public BandwidthThrottle writeThrottle() {
        return owner.writeThrottle();
    }

    /**
     * A read-only segment over the whole slab (a write through it throws
     * {@link IllegalArgumentException}); the same instance on every call.
     *
     * @throws IllegalStateException if the tier is closed
     */
    public MemorySegment slab() {
        owner.ensureOpen();
        return readOnlySlab;
    }

    /**
     * Byte offset of {@code slot} in {@link #slab()}.
     *
     * @throws IndexOutOfBoundsException if the slot is out of range
     */
    public long slotOffset(int slot) {
        return owner.slotOffset(slot);
    }

    /** Number of free slots. */
    public int freeSlots() {
        return owner.freeSlots();
    }

    /** Number of allocated slots. */
    public int usedSlots() {
        return owner.usedSlots();
    }

    /** Bytes of auxiliary memory (page metadata) the owner allocated from this tier's arena. */
    public long auxiliaryBytes() {
        return owner.auxiliaryBytes();
    }

    /** Bytes read from this tier since creation (or the owner's last counter reset). */
    public long bytesRead() {
        return owner.bytesRead();
    }

    /** Bytes written to this tier since creation (or the owner's last counter reset). */
    public long bytesWritten() {
        return owner.bytesWritten();
    }

    /** Whether the owner closed the tier. */
    public boolean isClosed() {
        return owner.isClosed();
    }

    @Override
    public String toString() {
        return "Tier" + owner.toString().substring("TierSlab".length());
    }
}
