package org.kvplace.core.cache;

import org.kvplace.core.memory.TierKind;
import org.kvplace.core.memory.TierSlab;

/**
 * The page records of one {@link TieredKvCache}, indexed by page index: each live page's
 * generation (its handle is index and generation, see {@link Pages}), owner, tier, slot and token
 * count; the free page indices; and the pool of page-group metadata records. It also takes and
 * returns the tiers' slots, so that a page and its slot change together.
 *
 * <p>Locking: allocation, freeing, handle resolution and every change of a page's tier and slot
 * happen under this table's monitor ({@code synchronized (this)}). The token count and the plain
 * reads ({@link #tierAt}, {@link #slotAt}, {@link #tokensAt}) are guarded by the owning sequence's
 * lock instead: its write lock for appends, frees and the flip of a migration, its read lock for
 * readers, which therefore never see a page change tier under them. The table does not own the
 * slabs; the cache closes them.
 *
 * <p>In an <em>inclusive</em> table every live page keeps a slot in the slow tier for its whole life
 * (its slow copy); a page in the fast tier has a fast slot as well, and its tier is then
 * {@link TierKind#FAST}. A promotion adds the fast slot ({@link #addFastCopy}), a demotion drops it
 * ({@link #dropFastCopy}), and nothing is ever copied back. In an exclusive table a page has one
 * slot, in one tier, and moves with {@link #flip}.
 */
final class PageTable {

    private static final byte NO_TIER = -1;

    private final TierSlab fast;
    private final TierSlab slow;
    private final int[] pageGeneration;
    private final byte[] pageTier;
    private final int[] pageSlot;
    private final int[] slowCopySlot; // inclusive: the slow copy's slot of a page in the fast tier, else -1
    private final boolean inclusive;
    private final int[] pageTokenCount;
    private final Sequence[] pageOwner;
    private final int[] freePageIndices;
    private int freePageCount;
    private final int[] freeGroupRecords;
    private int freeGroupCount;

    /**
     * A table of {@code total} pages over the two slabs, every page and group record free;
     * {@code inclusive}: every page keeps a slow copy.
     */
    PageTable(TierSlab fast, TierSlab slow, int total, boolean inclusive) {
        this.fast = fast;
        this.slow = slow;
        this.inclusive = inclusive;
        this.slowCopySlot = new int[total];
        this.pageGeneration = new int[total];
        this.pageTier = new byte[total];
        this.pageSlot = new int[total];
        this.pageTokenCount = new int[total];
        this.pageOwner = new Sequence[total];
        this.freePageIndices = new int[total];
        this.freeGroupRecords = new int[total];
        for (int i = 0; i < total; i++) {
            pageTier[i] = NO_TIER;
            slowCopySlot[i] = -1;
            freePageIndices[i] = total - 1 - i; // taken from the end: lowest index first
            freeGroupRecords[i] = total - 1 - i;
        }
        this.freePageCount = total;
        this.freeGroupCount = total;
    }

    /** The slab of a tier. */
    TierSlab slab(TierKind kind) {
        return kind == TierKind.FAST ? fast : slow;
    }

    /** Resolves a handle to a page index; caller holds this table's monitor. */
    private int resolve(long page) {
        int index = Pages.index(page);
        if (index < 0 || index >= pageOwner.length || pageOwner[index] == null
                || pageGeneration[index] != Pages.generation(page)) {
            throw new IllegalArgumentException(notLive(page));
        }
        return index;
    }

    /** The message for a handle that names no live page of this cache. */
    static String notLive(long page) {
        return "unknown or freed page " + Pages.describe(page)
                + ": not a live page of this cache (freed, never allocated, or from another cache)";
    }

    /**
     * The owner of a live page.
     *
     * @throws IllegalArgumentException if the handle names no live page of this cache
     */
    synchronized Sequence ownerOf(long page) {
        return pageOwner[resolve(page)];
    }

    /**
     * The tier of a live page.
     *
     * @throws IllegalArgumentException if the handle names no live page of this cache
     */
    synchronized TierKind tierOf(long page) {
        return pageTier[resolve(page)] == 0 ? TierKind.FAST : TierKind.SLOW;
    }

    /**
     * The tokens of a live page.
     *
     * @throws IllegalArgumentException if the handle names no live page of this cache
     */
    synchronized int tokensOf(long page) {
        return pageTokenCount[resolve(page)];
    }

    /** Whether {@code page} names a live page of this cache. */
    synchronized boolean isLive(long page) {
        int index = Pages.index(page);
        return index >= 0 && index < pageOwner.length && pageOwner[index] != null
                && pageGeneration[index] == Pages.generation(page);
    }

    /** Resolves a handle owned by {@code owner} (caller holds the owner's lock). */
    synchronized int resolveOwned(long page, Sequence owner) {
        int index = resolve(page);
        if (pageOwner[index] != owner) {
            throw new IllegalArgumentException(notLive(page));
        }
        return index;
    }

    /** Whether every page keeps a copy in the slow tier. */
    boolean inclusive() {
        return inclusive;
    }

    /**
     * Allocates a page for {@code owner}, in {@code preferred} if it has room, else in the other
     * tier; {@code -1} when both tiers are full (nothing changed). In an inclusive table the page
     * always takes a slow slot ({@code -1} when the slow tier is full), and a fast slot as well when
     * {@code preferred} is the fast tier and it has room.
     */
    synchronized long allocate(Sequence owner, TierKind preferred) {
        if (inclusive) {
            return allocateInclusive(owner, preferred);
        }
        TierSlab first = preferred == TierKind.FAST ? fast : slow;
        int slot = first.allocateSlot();
        byte tier = (byte) (first == fast ? 0 : 1);
        if (slot < 0) {
            TierSlab second = first == fast ? slow : fast;
            slot = second.allocateSlot();
            tier = (byte) (second == fast ? 0 : 1);
        }
        if (slot < 0) {
            return -1;
        }
        return take(owner, tier, slot, -1);
    }

    private long allocateInclusive(Sequence owner, TierKind preferred) {
        int slowSlot = slow.allocateSlot();
        if (slowSlot < 0) {
            return -1;
        }
        int fastSlot = preferred == TierKind.FAST ? fast.allocateSlot() : -1;
        return fastSlot >= 0 ? take(owner, (byte) 0, fastSlot, slowSlot) : take(owner, (byte) 1, slowSlot, -1);
    }

    private long take(Sequence owner, byte tier, int slot, int slowCopy) {
        int index = freePageIndices[--freePageCount];
        pageGeneration[index] = Pages.nextGeneration();
        pageTier[index] = tier;
        pageSlot[index] = slot;
        slowCopySlot[index] = slowCopy;
        pageTokenCount[index] = 0;
        pageOwner[index] = owner;
        return Pages.handle(index, pageGeneration[index]);
    }

    /**
     * Takes the group-metadata record for a new page group, lowest free record first. Called right
     * after the group's first page was allocated, so a record is always free: live groups never
     * outnumber live pages, and there are as many records as pages.
     */
    synchronized int allocateGroupRecord() {
        if (freeGroupCount == 0) {
            throw new IllegalStateException("no free page-group record; live groups outnumber pages");
        }
        return freeGroupRecords[--freeGroupCount];
    }

    /** Returns a page group's metadata record to the pool. Caller holds the owner's write lock. */
    synchronized void freeGroupRecord(int record) {
        freeGroupRecords[freeGroupCount++] = record;
    }

    /** Frees a page: returns its slot and retires its handle. Caller holds the owner's write lock. */
    synchronized void free(int index) {
        tierAt(index).freeSlot(pageSlot[index]);
        if (slowCopySlot[index] >= 0) {
            slow.freeSlot(slowCopySlot[index]);
            slowCopySlot[index] = -1;
        }
        pageTier[index] = NO_TIER;
        pageOwner[index] = null;
        pageTokenCount[index] = 0;
        freePageIndices[freePageCount++] = index;
    }

    /** Takes a free slot of {@code kind}, or returns {@code -1} when it is full. */
    synchronized int reserveSlot(TierKind kind) {
        return slab(kind).allocateSlot();
    }

    /** Returns a slot taken by {@link #reserveSlot} and not used. */
    synchronized void releaseSlot(TierKind kind, int slot) {
        slab(kind).freeSlot(slot);
    }

    /**
     * Points page {@code index} at {@code newSlot} of the other tier and frees its old slot. Caller
     * holds the owner's write lock, so no reader is inside the old slot.
     */
    synchronized void flip(int index, int newSlot) {
        TierSlab from = tierAt(index);
        int oldSlot = pageSlot[index];
        pageSlot[index] = newSlot;
        pageTier[index] = (byte) (from == fast ? 1 : 0);
        from.freeSlot(oldSlot);
    }

    /**
     * Inclusive: gives page {@code index}, which sits in the slow tier only, the fast copy in
     * {@code fastSlot} (already filled); its slow slot becomes its slow copy. Caller holds the
     * owner's write lock.
     */
    synchronized void addFastCopy(int index, int fastSlot) {
        if (!inclusive || pageTier[index] != 1) {
            throw new IllegalStateException("page index " + index + " cannot gain a fast copy (inclusive=" + inclusive
                    + ", tier " + pageTier[index] + ")");
        }
        slowCopySlot[index] = pageSlot[index];
        pageSlot[index] = fastSlot;
        pageTier[index] = 0;
    }

    /**
     * Inclusive: drops the fast copy of page {@code index}, which then sits in the slow tier only
     * (its slow copy, always current, becomes its slot); frees the fast slot. Caller holds the owner's
     * write lock, so no reader is inside the fast slot.
     */
    synchronized void dropFastCopy(int index) {
        if (slowCopySlot[index] < 0 || pageTier[index] != 0) {
            throw new IllegalStateException("page index " + index + " has no fast copy to drop");
        }
        fast.freeSlot(pageSlot[index]);
        pageSlot[index] = slowCopySlot[index];
        slowCopySlot[index] = -1;
        pageTier[index] = 1;
    }

    /** Whether page {@code index} sits in the fast tier and keeps a slow copy. Caller holds the owner's lock. */
    boolean hasSlowCopy(int index) {
        return slowCopySlot[index] >= 0;
    }

    /** The byte offset of the slow copy of page {@code index} (see {@link #hasSlowCopy}). Caller holds the owner's lock. */
    long slowCopyOffset(int index) {
        return slow.slotOffset(slowCopySlot[index]);
    }

    /** The slab page {@code index} sits in. Caller holds the owner's lock. */
    TierSlab tierAt(int index) {
        return pageTier[index] == 0 ? fast : slow;
    }

    /** The tier page {@code index} sits in. Caller holds the owner's lock. */
    TierKind tierKindAt(int index) {
        return pageTier[index] == 0 ? TierKind.FAST : TierKind.SLOW;
    }

    /** The slot of page {@code index}. Caller holds the owner's lock. */
    int slotAt(int index) {
        return pageSlot[index];
    }

    /** The byte offset of page {@code index} in its slab. Caller holds the owner's lock. */
    long offsetAt(int index) {
        return tierAt(index).slotOffset(pageSlot[index]);
    }

    /** The tokens of page {@code index}. Caller holds the owner's lock. */
    int tokensAt(int index) {
        return pageTokenCount[index];
    }

    /** Sets the tokens of page {@code index}. Caller holds the owner's write lock. */
    void setTokensAt(int index, int tokens) {
        pageTokenCount[index] = tokens;
    }
}
