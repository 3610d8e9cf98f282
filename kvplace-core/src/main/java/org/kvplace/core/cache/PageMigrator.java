package org.kvplace.core.cache;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import org.kvplace.core.memory.BandwidthThrottle;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.memory.TierSlab;

/**
 * Page migration of one {@link TieredKvCache}: reserve a slot in the target tier, copy the page
 * into it, flip the page-table entry, free the old slot (or release the reserved one when the page
 * went away meanwhile). Counts the migrations and the bytes they copied.
 *
 * <p>Locking, per migration of a page owned by sequence {@code s}: {@code s}'s migration lock
 * serialises the migrations of {@code s}, so between the copy and the flip only an append can
 * change the page. The copy runs under {@code s}'s read lock: appends wait, attends proceed (they
 * read the old slot, which stays valid). The page-table entry flips under {@code s}'s write lock,
 * after the copy is complete, so no reader sees a half-copied page and none is inside the old slot
 * when it is freed. If an append slipped in between the two locks, the page is copied again. Slot
 * reservation, release and the flip itself take the {@link PageTable}'s monitor. The copy charges
 * the read to the source tier and the write to the target tier (the slow tier's throttle).
 *
 * <p>In an inclusive cache a promotion copies the page into a fast slot the same way and then adds
 * that slot as the page's fast copy, keeping its slow copy; a demotion copies nothing: it drops the
 * fast copy under the write lock (the slow copy is always current, appends write both).
 */
final class PageMigrator {

    private final TieredKvCache cache;
    private final PageTable table;
    private final long pageBytes;
    private final LongAdder migrations = new LongAdder();
    private final LongAdder bytesMigrated = new LongAdder();

    PageMigrator(TieredKvCache cache, PageTable table, long pageBytes) {
        this.cache = cache;
        this.table = table;
        this.pageBytes = pageBytes;
    }

    /** Pages migrated since creation. */
    long migrations() {
        return migrations.sum();
    }

    /** Bytes copied by migrations since creation. */
    long bytesMigrated() {
        return bytesMigrated.sum();
    }

    /**
     * Moves a page to {@code target}; see {@link TieredKvCache#tryMigrate}.
     *
     * @return {@code false} if {@code target} has no free slot (nothing changed)
     * @throws IllegalArgumentException if the handle names no live page of this cache, or the page
     *     already sits in {@code target}
     */
    boolean tryMigrate(long page, TierKind target, BandwidthThrottle.Wait wait) {
        return tryMigrate(page, target, wait, true);
    }

    /**
     * Moves a page to {@code target}; {@code chargeSource}: whether the copy's read is charged to the
     * source tier ({@code false} for a promotion whose bytes the link has carried already).
     */
    boolean tryMigrate(long page, TierKind target, BandwidthThrottle.Wait wait, boolean chargeSource) {
        if (table.inclusive() && target == TierKind.SLOW) {
            return dropFastCopy(page);
        }
        Sequence owner = table.ownerOf(page);
        StampedLock lock = owner.lock();
        owner.migrationLock().lock();
        try {
            long stamp = lock.readLock();
            try {
                if (owner.isClosed()) {
                    throw new IllegalArgumentException("unknown or freed page " + Pages.describe(page));
                }
                cache.ensureOpen();
                int index = table.resolveOwned(page, owner);
                int newSlot = reserveTargetSlot(page, index, target);
                if (newSlot < 0) {
                    return false;
                }
                int copiedTokens = table.tokensAt(index);
                copy(index, newSlot, wait, chargeSource);
                long ws = lock.tryConvertToWriteLock(stamp);
                if (ws == 0L) {
                    lock.unlockRead(stamp);
                    stamp = lock.writeLock();
                    if (owner.isClosed() || !table.isLive(page)) {
                        // The sequence closed meanwhile: its pages are gone, give the slot back.
                        table.releaseSlot(target, newSlot);
                        throw new IllegalArgumentException("unknown or freed page " + Pages.describe(page));
                    }
                    if (table.tokensAt(index) != copiedTokens) {
                        copy(index, newSlot, wait, chargeSource);
                    }
                } else {
                    stamp = ws;
                }
                if (table.inclusive()) {
                    table.addFastCopy(index, newSlot);
                } else {
                    table.flip(index, newSlot);
                }
                migrations.increment();
                bytesMigrated.add(pageBytes);
                return true;
            } finally {
                lock.unlock(stamp);
            }
        } finally {
            owner.migrationLock().unlock();
        }
    }

    /** Inclusive demotion: drops the page's fast copy under the owner's write lock. */
    private boolean dropFastCopy(long page) {
        Sequence owner = table.ownerOf(page);
        StampedLock lock = owner.lock();
        owner.migrationLock().lock();
        try {
            long stamp = lock.writeLock();
            try {
                if (owner.isClosed()) {
                    throw new IllegalArgumentException("unknown or freed page " + Pages.describe(page));
                }
                cache.ensureOpen();
                int index = table.resolveOwned(page, owner);
                if (table.tierKindAt(index) == TierKind.SLOW) {
                    throw new IllegalArgumentException("page " + Pages.describe(page) + " is already in tier SLOW");
                }
                table.dropFastCopy(index);
                migrations.increment();
                return true;
            } finally {
                lock.unlockWrite(stamp);
            }
        } finally {
            owner.migrationLock().unlock();
        }
    }

    /**
     * Takes a free slot of {@code target} for page {@code index}, or returns {@code -1} when
     * {@code target} is full. Caller holds the owner's lock (read or write).
     */
    private int reserveTargetSlot(long page, int index, TierKind target) {
        if (table.tierKindAt(index) == target) {
            throw new IllegalArgumentException("page " + Pages.describe(page) + " is already in tier " + target);
        }
        return table.reserveSlot(target);
    }

    /**
     * Copies page {@code index} into {@code newSlot} of the other tier, charging the write and,
     * if {@code chargeSource}, the read. Caller holds the owner's lock, so appends cannot change the page meanwhile.
     */
    private void copy(int index, int newSlot, BandwidthThrottle.Wait wait, boolean chargeSource) {
        TierSlab from = table.tierAt(index);
        TierSlab to = from == table.slab(TierKind.FAST) ? table.slab(TierKind.SLOW) : table.slab(TierKind.FAST);
        MemorySegment.copy(from.slab(), from.slotOffset(table.slotAt(index)), to.slab(), to.slotOffset(newSlot),
                pageBytes);
        if (chargeSource) {
            from.chargeRead(pageBytes, wait);
        }
        to.chargeWrite(pageBytes, wait);
    }
}
