package org.kvplace.core.cache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.memory.TierSlab;

/**
 * The key bounds of one {@link TieredKvCache}: per page, and per page group of
 * {@link TieredKvCache#GROUP_PAGES} pages, the element-wise min and max of the keys of each KV
 * head (f32, of the stored values), in the fast tier's auxiliary memory. A page's record sits at
 * its page index, a group's at the record {@link PageTable#allocateGroupRecord} gave it; both
 * regions have the same layout, per record and KV head {@code headDim} minimums then
 * {@code headDim} maximums.
 *
 * <p>Locking: a record is written by appends to its page or group, under the owning sequence's
 * write lock, and read (by kernels through {@link org.kvplace.core.kernel.KvLayerView}, and by
 * {@link Sequence#readKeyBounds}) under its read lock. The memory belongs to the fast tier's slab
 * and goes with it.
 */
final class KeyBounds {

    private final int headDim;
    private final int stride; // bytes of metadata per record: min and max per KV head
    private final ElementType type;
    private final MemorySegment pages;
    private final MemorySegment groups;

    /**
     * Allocates the records of {@code records} pages and as many groups in {@code fast}'s auxiliary
     * memory.
     *
     * @throws IllegalArgumentException if the operating system refuses the memory
     */
    KeyBounds(TierSlab fast, int records, int kvHeads, int headDim, ElementType type) {
        this.headDim = headDim;
        this.type = type;
        this.stride = 2 * kvHeads * headDim * Float.BYTES;
        this.pages = auxiliary(fast, (long) stride * records);
        this.groups = auxiliary(fast, (long) stride * records);
    }

    private static MemorySegment auxiliary(TierSlab tier, long bytes) {
        try {
            return tier.allocateAuxiliary(bytes, 64);
        } catch (OutOfMemoryError e) {
            throw new IllegalArgumentException("key metadata of " + CacheMemory.bytes(bytes) + " does not fit ("
                    + CacheMemory.bytes(CacheMemory.freeMemory()) + " of physical memory free): " + e.getMessage(), e);
        }
    }

    /** The pages' records, indexed by page index. */
    MemorySegment pages() {
        return pages;
    }

    /** The groups' records, indexed by group record. */
    MemorySegment groups() {
        return groups;
    }

    /** Byte offset of the minimums of {@code kvHead} in record {@code record} (of either region). */
    long minOffset(int record, int kvHead) {
        return (long) record * stride + (long) kvHead * 2 * headDim * Float.BYTES;
    }

    /** Byte offset of the maximums of {@code kvHead} in record {@code record} (of either region). */
    long maxOffset(int record, int kvHead) {
        return minOffset(record, kvHead) + (long) headDim * Float.BYTES;
    }

    /** Records one appended key vector of {@code kvHead} into page {@code index}'s bounds. */
    void updatePage(int index, int kvHead, float[] k, int kOffset, boolean first) {
        update(pages, index, kvHead, k, kOffset, first);
    }

    /**
     * Records one appended key vector of {@code kvHead} into the bounds of the page group with
     * record {@code record}; {@code first} for the group's first token.
     */
    void updateGroup(int record, int kvHead, float[] k, int kOffset, boolean first) {
        update(groups, record, kvHead, k, kOffset, first);
    }

    private void update(MemorySegment metadata, int index, int kvHead, float[] k, int kOffset, boolean first) {
        long minOff = minOffset(index, kvHead);
        long maxOff = maxOffset(index, kvHead);
        ElementType type = this.type;
        if (first) {
            for (int d = 0; d < headDim; d++) {
                float v = type == ElementType.F32 ? k[kOffset + d] : type.round(k[kOffset + d]);
                metadata.set(ValueLayout.JAVA_FLOAT, minOff + (long) d * Float.BYTES, v);
                metadata.set(ValueLayout.JAVA_FLOAT, maxOff + (long) d * Float.BYTES, v);
            }
            return;
        }
        for (int d = 0; d < headDim; d++) {
            float v = type == ElementType.F32 ? k[kOffset + d] : type.round(k[kOffset + d]);
            long o = (long) d * Float.BYTES;
            float min = metadata.get(ValueLayout.JAVA_FLOAT, minOff + o);
            float max = metadata.get(ValueLayout.JAVA_FLOAT, maxOff + o);
            if (v < min) {
                metadata.set(ValueLayout.JAVA_FLOAT, minOff + o, v);
            }
            if (v > max) {
                metadata.set(ValueLayout.JAVA_FLOAT, maxOff + o, v);
            }
        }
    }

    /**
     * Copies record {@code record}'s bounds of {@code kvHead} into {@code min} and {@code max}
     * ({@code headDim} each), from the groups' region if {@code group}, else the pages'.
     */
    void read(boolean group, int record, int kvHead, float[] min, float[] max) {
        MemorySegment metadata = group ? groups : pages;
        MemorySegment.copy(metadata, ValueLayout.JAVA_FLOAT, minOffset(record, kvHead), min, 0, min.length);
        MemorySegment.copy(metadata, ValueLayout.JAVA_FLOAT, maxOffset(record, kvHead), max, 0, max.length);
    }
}
