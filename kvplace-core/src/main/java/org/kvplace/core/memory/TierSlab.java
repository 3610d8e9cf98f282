package org.kvplace.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * One memory tier and its owner: a single long-lived shared {@link Arena}, one slab carved into
 * fixed-size page slots, a free list of slots, and counters of the bytes read from and written to
 * it. Whoever creates a slab owns it and may take and free slots and close it; others get its
 * read-only {@link #view()}.
 *
 * <p>Slots are {@link #slotStride()} bytes apart (the slot size rounded up to 64 bytes) and 64-byte
 * aligned, so vector loads of a slot never straddle a cache line at its start.
 *
 * <p>A slow tier carries a {@link BandwidthThrottle} per direction: {@link #chargeRead} and
 * {@link #chargeWrite} wait until the emulated link has carried the bytes. The fast tier is not throttled. Readers such
 * as decode kernels read {@link #slab()} directly at {@link #slotOffset(int)} and call
 * {@link #chargeRead} once per page they read.
 *
 * <p>Ownership: the tier owns its arena; {@link #close()} frees the slab and every auxiliary
 * segment allocated from it. {@code close()} is idempotent; any other call after it throws
 * {@link IllegalStateException}. Slot allocation is thread-safe; counters are thread-safe.
 */
public final class TierSlab implements AutoCloseable {

    /** Alignment of every slot, in bytes (a cache line). */
    public static final long SLOT_ALIGNMENT = 64;

    /**
     * Alignment of the slab, in bytes: a 4 KiB page, so that a slot of whole pages starts on a page
     * boundary and the kernels' 4 KiB chunks of K and V do not straddle two pages (the hardware
     * prefetcher follows a stream within a page; measured in {@code docs/performance.md}).
     */
    public static final long SLAB_ALIGNMENT = 4096;

    private final TierSpec spec;
    private final long stride;
    private final Arena arena;
    private final MemorySegment slab;
    private final BandwidthThrottle readThrottle;
    private final BandwidthThrottle writeThrottle;
    private final int[] freeSlots;
    private final boolean[] inUse;
    private int freeCount;
    private long auxiliaryBytes;
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Tier view;

    /**
     * Allocates the tier's slab ({@code slots * slotStride} bytes, zeroed) in a new shared arena.
     *
     * @param spec the tier's configuration
     */
    public TierSlab(TierSpec spec) {
        this.spec = spec;
        this.stride = strideFor(spec.slotBytes());
        this.readThrottle = spec.throttled() ? BandwidthThrottle.ofBytesPerSecond(spec.bytesPerSecond()) : null;
        this.writeThrottle = spec.throttled() ? BandwidthThrottle.ofBytesPerSecond(spec.bytesPerSecond()) : null;
        this.arena = Arena.ofShared();
        try {
            this.slab = arena.allocate(Math.multiplyExact(stride, (long) spec.slots()), SLAB_ALIGNMENT);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
        this.freeSlots = new int[spec.slots()];
        this.inUse = new boolean[spec.slots()];
        // Hand out low slots first: stack with slot 0 on top.
        for (int i = 0; i < freeSlots.length; i++) {
            freeSlots[i] = freeSlots.length - 1 - i;
        }
        this.freeCount = freeSlots.length;
        this.view = new Tier(this);
    }

    /**
     * The read-only view of this slab: sizes, counters and a read-only segment of the slab, but no
     * way to take or free slots or to close it. One instance per slab.
     */
    public Tier view() {
        return view;
    }

    /** Distance in bytes between the slots of {@code slotBytes}-byte pages: rounded up to 64. */
    public static long strideFor(long slotBytes) {
        return Math.ceilDiv(slotBytes, SLOT_ALIGNMENT) * SLOT_ALIGNMENT;
    }

    /** Which tier this is. */
    public TierKind kind() {
        return spec.kind();
    }

    /** The configuration this tier was built from. */
    public TierSpec spec() {
        return spec;
    }

    /** Bytes per slot as configured (the page size). */
    public long slotBytes() {
        return spec.slotBytes();
    }

    /** Distance in bytes between consecutive slots: the slot size rounded up to 64. */
    public long slotStride() {
        return stride;
    }

    /** Capacity in slots (pages). */
    public int capacitySlots() {
        return spec.slots();
    }

    /** Capacity in bytes of page data ({@code slots * slotBytes}). */
    public long capacityBytes() {
        return spec.slotBytes() * spec.slots();
    }

    /**
     * The read-direction throttle of a slow tier, or {@code null} when the tier is not throttled.
     * Reads and writes are throttled independently, each at the configured bandwidth, as the two
     * directions of a full-duplex link (GH200's chip-to-chip link: 450 GB/s each way).
     */
    public BandwidthThrottle throttle() {
        return readThrottle;
    }

    /** The write-direction throttle of a slow tier, or {@code null} when the tier is not throttled. */
    public BandwidthThrottle writeThrottle() {
        return writeThrottle;
    }

    /**
     * The whole slab. Valid until {@link #close()}; reads after close throw
     * {@link IllegalStateException}.
     */
    public MemorySegment slab() {
        ensureOpen();
        return slab;
    }

    /**
     * Byte offset of {@code slot} in {@link #slab()}.
     *
     * @throws IndexOutOfBoundsException if the slot is out of range
     */
    public long slotOffset(int slot) {
        if (slot < 0 || slot >= spec.slots()) {
            throw new IndexOutOfBoundsException("slot " + slot + " out of range [0, " + spec.slots() + ") in tier " + kind());
        }
        return slot * stride;
    }

    /**
     * Takes a free slot.
     *
     * @return the slot index, or {@code -1} when the tier is full
     * @throws IllegalStateException if the tier is closed
     */
    public synchronized int allocateSlot() {
        ensureOpen();
        if (freeCount == 0) {
            return -1;
        }
        int slot = freeSlots[--freeCount];
        inUse[slot] = true;
        return slot;
    }

    /**
     * Returns a slot to the free list.
     *
     * @throws IllegalArgumentException if the slot is out of range or not allocated
     */
    public synchronized void freeSlot(int slot) {
        ensureOpen();
        if (slot < 0 || slot >= spec.slots()) {
            throw new IllegalArgumentException("slot " + slot + " out of range [0, " + spec.slots() + ") in tier " + kind());
        }
        if (!inUse[slot]) {
            throw new IllegalArgumentException("slot " + slot + " of tier " + kind() + " is not allocated");
        }
        inUse[slot] = false;
        freeSlots[freeCount++] = slot;
    }

    /** Number of free slots. */
    public synchronized int freeSlots() {
        return freeCount;
    }

    /** Number of allocated slots. */
    public synchronized int usedSlots() {
        return spec.slots() - freeCount;
    }

    /**
     * Allocates a segment outside the slot area from this tier's arena, for data that must live in
     * this tier for its whole lifetime (page metadata). Freed when the tier closes.
     *
     * @param bytes size in bytes
     * @param alignment alignment in bytes
     */
    public synchronized MemorySegment allocateAuxiliary(long bytes, long alignment) {
        ensureOpen();
        MemorySegment seg = arena.allocate(bytes, alignment);
        auxiliaryBytes += bytes;
        return seg;
    }

    /** Bytes allocated by {@link #allocateAuxiliary}. */
    public synchronized long auxiliaryBytes() {
        return auxiliaryBytes;
    }

    /**
     * Counts {@code bytes} as read from this tier and, on a throttled tier, waits until the
     * emulated link has carried them.
     */
    public void chargeRead(long bytes) {
        chargeRead(bytes, BandwidthThrottle.Wait.PRECISE);
    }

    /**
     * Counts {@code bytes} as read from this tier and, on a throttled tier, waits as {@code wait}
     * says until the emulated link has carried them.
     */
    public void chargeRead(long bytes, BandwidthThrottle.Wait wait) {
        bytesRead.add(bytes);
        if (readThrottle != null) {
            readThrottle.acquire(bytes, wait);
        }
    }

    /**
     * Counts {@code bytes} as written to this tier and, on a throttled tier, waits until the
     * emulated link has carried them.
     */
    public void chargeWrite(long bytes) {
        chargeWrite(bytes, BandwidthThrottle.Wait.PRECISE);
    }

    /**
     * Counts {@code bytes} as written to this tier and, on a throttled tier, waits as {@code wait}
     * says until the emulated link has carried them.
     */
    public void chargeWrite(long bytes, BandwidthThrottle.Wait wait) {
        bytesWritten.add(bytes);
        if (writeThrottle != null) {
            writeThrottle.acquire(bytes, wait);
        }
    }

    /** Bytes read from this tier since creation (or the last {@link #resetCounters()}). */
    public long bytesRead() {
        return bytesRead.sum();
    }

    /** Bytes written to this tier since creation (or the last {@link #resetCounters()}). */
    public long bytesWritten() {
        return bytesWritten.sum();
    }

    /** Zeroes the read and write counters. */
    public void resetCounters() {
        bytesRead.reset();
        bytesWritten.reset();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Throws {@link IllegalStateException} naming this tier if it is closed.
     */
    public void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("tier " + kind() + " is closed");
        }
    }

    /** Frees the slab and all auxiliary memory. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "TierSlab[" + kind() + ", " + spec.slots() + " slots of " + spec.slotBytes() + " B"
                + (readThrottle != null ? ", " + readThrottle + " each way" : "") + "]";
    }
}
