package org.kvplace.core.cache;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.Kernels;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.BandwidthThrottle;
import org.kvplace.core.memory.MemoryBandwidth;
import org.kvplace.core.memory.Tier;
import org.kvplace.core.memory.TierSlab;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.memory.TierSpec;

/**
 * A paged KV cache over two memory tiers.
 *
 * <p>Pages of {@link #layout()} live in slots of a fast and a slow {@link Tier}. Several
 * {@link Sequence}s share the tiers; each keeps a page table per layer. New pages go to the fast
 * tier while it has room, then to the slow tier. {@link #migrate} moves a page to the other tier:
 * it copies the bytes to a free slot there and only then switches the page-table entry, so a
 * reader never sees a half-copied page. Per page, the element-wise min and max of the keys of each
 * KV head are kept in metadata that lives in the fast tier.
 *
 * <p>A cache built {@linkplain Builder#inclusive(boolean) inclusive} keeps a copy of every page in
 * the slow tier for the page's whole life: a page in the fast tier is there a second time, every
 * append writes both copies, a promotion adds the fast copy, a demotion drops it (copying
 * nothing), and a reader may read a page with both copies from either tier
 * ({@link org.kvplace.core.kernel.KvLayerView#slowCopies()}), which lets the two lanes of a step
 * finish together. The slow tier must then hold every page.
 *
 * <p>Pages are named by a {@code long} handle (index and generation); a handle of a freed page is
 * rejected even after its index is reused, and so is a handle of another cache's page: generations
 * are drawn from one counter shared by every cache of the process, so no two page allocations
 * share a handle (until 2<sup>32</sup> allocations wrap the counter).
 *
 * <p>Ownership: the cache owns both tiers and closes them in {@link #close()}, which is
 * idempotent; every other call afterwards throws {@link IllegalStateException}. Thread safety:
 * every method may be called from any thread. Operations on one sequence are serialised by the
 * sequence's lock (appends and migrations exclusive, attends shared); different sequences proceed
 * in parallel.
 */
public final class TieredKvCache implements AutoCloseable {

    /**
     * Pages per page group: besides each page's key min/max, the cache keeps the element-wise
     * min/max of the keys of every {@value} consecutive pages of a layer (per KV head, f32, in the
     * fast tier's auxiliary memory, laid out like the page metadata), for two-level selection. A
     * group's record is taken from a pool of its own when the group's first page is allocated, lowest
     * free record first, so the groups of a long sequence sit next to each other and their scan reads
     * memory in order. The pool has a record per page (a group holds at least one page), so the
     * auxiliary memory is twice the page metadata ({@code 2 x 2 x kvHeads x headDim x 4} bytes per
     * page).
     */
    public static final int GROUP_PAGES = 16;

    private final ModelShape shape;
    private final PageLayout layout;
    private final TierSlab fast;
    private final TierSlab slow;
    private final DecodeKernel kernel;
    private final int pagesPerLayer;
    private final int fastCapacity;
    private final int slowCapacity;
    private final KeyBounds bounds;
    private final PageTable table;
    private final PageMigrator migrator;
    private final boolean inclusive;

    private final AtomicInteger nextSequenceId = new AtomicInteger();
    private final AtomicInteger liveSequences = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private TieredKvCache(Builder b) {
        this.shape = Objects.requireNonNull(b.shape, "shape must be set");
        this.layout = new PageLayout(b.pageTokens, shape.kvHeads(), shape.headDim(), b.elementType);
        this.pagesPerLayer = Math.ceilDiv(shape.maxTokens(), b.pageTokens);
        long pageBytes = layout.pageBytes();
        int fastPages = b.fastPages >= 0 ? b.fastPages : CacheMemory.pagesFor("fast", b.fastBytes, pageBytes);
        int slowPages = b.slowPages >= 0 ? b.slowPages : CacheMemory.pagesFor("slow", b.slowBytes, pageBytes);
        this.fastCapacity = fastPages;
        this.slowCapacity = slowPages;
        if (fastPages == 0 && slowPages == 0) {
            throw new IllegalArgumentException("both tiers have zero pages of " + pageBytes + " bytes");
        }
        CacheMemory.check(shape, b.pageTokens, pageBytes, fastPages, slowPages, pagesPerLayer);
        this.kernel = b.kernel != null ? b.kernel : Kernels.lookup(); // before any memory is allocated
        int total = fastPages + slowPages; // checked: at most CacheMemory.MAX_PAGES
        TierSlab f = null;
        TierSlab s = null;
        try {
            f = CacheMemory.slab(TierSpec.unthrottled(TierKind.FAST, pageBytes, Math.max(1, fastPages)));
            s = CacheMemory.slab(new TierSpec(TierKind.SLOW, pageBytes, Math.max(1, slowPages), b.slowBytesPerSecond));
            this.bounds = new KeyBounds(f, total, shape.kvHeads(), shape.headDim(), b.elementType);
            this.table = new PageTable(f, s, total, b.inclusive);
        } catch (RuntimeException | Error e) {
            if (f != null) {
                f.close();
            }
            if (s != null) {
                s.close();
            }
            throw e;
        }
        this.fast = f;
        this.slow = s;
        this.migrator = new PageMigrator(this, table, pageBytes);
        this.inclusive = b.inclusive;
        // A tier configured with zero pages still has one slot (slabs cannot be empty): take it.
        if (fastPages == 0) {
            fast.allocateSlot();
        }
        if (slowPages == 0) {
            slow.allocateSlot();
        }
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The model shape.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public ModelShape shape() {
        ensureOpen();
        return shape;
    }

    /**
     * The page layout.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public PageLayout layout() {
        ensureOpen();
        return layout;
    }

    /**
     * The kernel used by {@link Sequence#attend}.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public DecodeKernel kernel() {
        ensureOpen();
        return kernel;
    }

    /**
     * A read-only view of the fast or the slow tier: its sizes, occupancy and byte counters. Slots
     * are taken and freed only by the cache, so the view offers no way to do either (or to close
     * the tier).
     *
     * @throws IllegalStateException if the cache is closed
     */
    public Tier tier(TierKind kind) {
        Objects.requireNonNull(kind, "kind");
        ensureOpen();
        return kind == TierKind.FAST ? fast.view() : slow.view();
    }

    /**
     * Capacity of a tier in pages (as configured; zero if configured with none).
     *
     * @throws IllegalStateException if the cache is closed
     */
    public int capacityPages(TierKind kind) {
        Objects.requireNonNull(kind, "kind");
        ensureOpen();
        return kind == TierKind.FAST ? fastCapacity : slowCapacity;
    }

    /**
     * Free pages of a tier.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public int freePages(TierKind kind) {
        Objects.requireNonNull(kind, "kind");
        ensureOpen();
        return (kind == TierKind.FAST ? fast : slow).freeSlots();
    }

    /**
     * Pages per layer a sequence can hold: {@code ceil(maxTokens / pageTokens)}.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public int pagesPerLayer() {
        ensureOpen();
        return pagesPerLayer;
    }

    /**
     * Starts a new, empty sequence. Close it (or call {@link Sequence#close()}) to return its slots.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public Sequence newSequence() {
        ensureOpen();
        liveSequences.incrementAndGet();
        return new Sequence(this, nextSequenceId.getAndIncrement());
    }

    /**
     * Number of sequences not yet closed.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public int liveSequences() {
        ensureOpen();
        return liveSequences.get();
    }

    /**
     * Pages migrated since creation.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public long migrations() {
        ensureOpen();
        return migrator.migrations();
    }

    /**
     * Bytes copied by migrations since creation.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public long bytesMigrated() {
        ensureOpen();
        return migrator.bytesMigrated();
    }

    /**
     * Moves a page to {@code target}: copies its bytes into a free slot of that tier, then switches
     * the page-table entry, then frees the old slot.
     *
     * @return {@code true} if the page moved, {@code false} if {@code target} has no free slot (nothing
     *     changed)
     * @throws IllegalArgumentException if the handle names no live page of this cache (a handle of a
     *     freed page, or of another cache's page, is rejected), or the page already sits in
     *     {@code target}
     * @throws IllegalStateException if the cache is closed
     */
    public boolean tryMigrate(long page, TierKind target) {
        return tryMigrate(page, target, BandwidthThrottle.Wait.PRECISE);
    }

    /**
     * Like {@link #tryMigrate(long, TierKind)}, waiting for the slow tier's throttle as {@code wait}
     * says: {@link BandwidthThrottle.Wait#YIELDING} for a background thread that should leave the
     * core to the decode threads while the emulated link carries the copy.
     *
     * @return {@code true} if the page moved, {@code false} if {@code target} has no free slot (nothing
     *     changed)
     * @throws IllegalArgumentException if the handle names no live page of this cache, or the page
     *     already sits in {@code target}
     * @throws IllegalStateException if the cache is closed
     */
    public boolean tryMigrate(long page, TierKind target, BandwidthThrottle.Wait wait) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(wait, "wait");
        ensureOpen();
        return migrator.tryMigrate(page, target, wait);
    }

    /**
     * Promotes a page of an inclusive cache whose bytes an attend of its sequence has just read
     * from the slow tier: the read that fetched them fills the fast copy, so the slow tier's link is
     * not charged for them again. (The emulation copies from the slow slab once more, a read of this
     * machine's memory that the emulated link does not carry.) Otherwise as
     * {@link #tryMigrate(long, TierKind, BandwidthThrottle.Wait)} with target {@link TierKind#FAST}.
     *
     * @return {@code true} if the page gained its fast copy, {@code false} if the fast tier has no
     *     free slot (nothing changed)
     * @throws IllegalStateException if the cache is not inclusive, or is closed
     * @throws IllegalArgumentException if the handle names no live page of this cache, or the page is
     *     in the fast tier already
     */
    public boolean tryPromoteAfterRead(long page, BandwidthThrottle.Wait wait) {
        Objects.requireNonNull(wait, "wait");
        ensureOpen();
        if (!inclusive) {
            throw new IllegalStateException("tryPromoteAfterRead needs an inclusive cache: in an exclusive one a"
                    + " promotion moves the page and the link carries it (use tryMigrate)");
        }
        return migrator.tryMigrate(page, TierKind.FAST, wait, false);
    }

    /**
     * Whether every page keeps a copy in the slow tier ({@link Builder#inclusive(boolean)}).
     *
     * @throws IllegalStateException if the cache is closed
     */
    public boolean inclusive() {
        ensureOpen();
        return inclusive;
    }

    /**
     * Like {@link #tryMigrate} but throws when the target tier is full.
     *
     * @throws TierFullException if {@code target} has no free slot (nothing changed)
     */
    public void migrate(long page, TierKind target) {
        if (!tryMigrate(page, target)) {
            int capacity = capacityPages(target);
            throw new TierFullException("cannot migrate page " + Pages.describe(page) + " to tier " + target
                    + ": it is full (" + capacity + " pages of " + layout.pageBytes() + " bytes, "
                    + capacity * layout.pageBytes() + " bytes)");
        }
    }

    /**
     * The tier page {@code page} sits in.
     *
     * @throws IllegalArgumentException if the handle names no live page of this cache
     * @throws IllegalStateException if the cache is closed
     */
    public TierKind tierOf(long page) {
        ensureOpen();
        return table.tierOf(page);
    }

    /**
     * Tokens held by page {@code page}.
     *
     * @throws IllegalArgumentException if the handle names no live page of this cache
     * @throws IllegalStateException if the cache is closed
     */
    public int tokensOf(long page) {
        ensureOpen();
        return table.tokensOf(page);
    }

    /**
     * Whether {@code page} names a live page of this cache.
     *
     * @throws IllegalStateException if the cache is closed
     */
    public boolean isLive(long page) {
        ensureOpen();
        return table.isLive(page);
    }

    // ---- package-private: the parts the sequences share ------------------------------------------

    /** The page records. */
    PageTable pageTable() {
        return table;
    }

    /** The key bounds of pages and page groups. */
    KeyBounds keyBounds() {
        return bounds;
    }

    /**
     * Allocates a page for {@code owner}, in {@code preferred} if it has room, else in the other tier.
     *
     * @throws TierFullException if both tiers are full
     */
    long allocatePage(Sequence owner, int layer, int token, TierKind preferred) {
        long page = table.allocate(owner, preferred);
        if (page == -1) {
            if (inclusive) {
                throw new TierFullException("the slow tier is full: " + slowCapacity + " pages ("
                        + slowCapacity * layout.pageBytes() + " bytes) of " + layout.pageBytes() + " bytes, and an"
                        + " inclusive cache keeps every page there; cannot append token " + token + " of layer "
                        + layer + " of sequence " + owner.id());
            }
            throw new TierFullException("both tiers are full: fast " + fastCapacity
                    + " pages (" + fastCapacity * layout.pageBytes() + " bytes), slow " + slowCapacity
                    + " pages (" + slowCapacity * layout.pageBytes() + " bytes), pages of " + layout.pageBytes()
                    + " bytes; cannot append token " + token + " of layer " + layer + " of sequence "
                    + owner.id());
        }
        return page;
    }

    void sequenceClosed() {
        liveSequences.decrementAndGet();
    }

    /** Throws {@link IllegalStateException} if the cache is closed. */
    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the cache is closed");
        }
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Frees both tiers. Sequences of this cache are unusable afterwards. Idempotent; afterwards every
     * method but {@code close}, {@link #isClosed()} and {@code toString} throws
     * {@link IllegalStateException}.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                slow.close();
            } finally {
                fast.close();
            }
        }
    }

    @Override
    public String toString() {
        return "TieredKvCache[" + shape + ", " + layout.pageTokens() + " tokens/page, " + layout.elementType()
                + ", fast " + fastCapacity + " pages, slow " + slowCapacity + " pages" + (inclusive ? " (inclusive)" : "")
                + ", kernel " + kernel.name()
                + (isClosed() ? ", closed" : "") + "]";
    }

    /** Builds a {@link TieredKvCache}. Set the shape and both tier sizes; the rest has defaults. */
    public static final class Builder {
        private ModelShape shape;
        private int pageTokens = 16;
        private ElementType elementType = ElementType.F32;
        private long fastBytes = -1;
        private long slowBytes = -1;
        private int fastPages = -1;
        private int slowPages = -1;
        private double slowBytesPerSecond = Double.POSITIVE_INFINITY;
        private double slowRatio = Double.NaN;
        private DecodeKernel kernel;
        private boolean inclusive;

        private Builder() {}

        /** The model shape (required). */
        public Builder shape(ModelShape shape) {
            this.shape = Objects.requireNonNull(shape, "shape");
            return this;
        }

        /** Tokens per page (P), default 16. */
        public Builder pageTokens(int pageTokens) {
            if (pageTokens <= 0) {
                throw new IllegalArgumentException("pageTokens must be positive, got " + pageTokens);
            }
            this.pageTokens = pageTokens;
            return this;
        }

        /** Element type of K and V, default {@link ElementType#F32}. */
        public Builder elementType(ElementType elementType) {
            this.elementType = Objects.requireNonNull(elementType, "elementType");
            return this;
        }

        /** Fast-tier size in bytes of page data (rounded down to whole pages). */
        public Builder fastTierBytes(long bytes) {
            this.fastBytes = nonNegative("fast tier bytes", bytes);
            this.fastPages = -1;
            return this;
        }

        /** Slow-tier size in bytes of page data (rounded down to whole pages). */
        public Builder slowTierBytes(long bytes) {
            this.slowBytes = nonNegative("slow tier bytes", bytes);
            this.slowPages = -1;
            return this;
        }

        /** Fast-tier size in pages. */
        public Builder fastTierPages(int pages) {
            this.fastPages = (int) nonNegative("fast tier pages", pages);
            return this;
        }

        /** Slow-tier size in pages. */
        public Builder slowTierPages(int pages) {
            this.slowPages = (int) nonNegative("slow tier pages", pages);
            return this;
        }

        /**
         * Bandwidth of the slow tier in bytes per second; every read and write of it is throttled to
         * this rate. Default: unthrottled ({@link Double#POSITIVE_INFINITY}).
         */
        public Builder slowTierBandwidth(double bytesPerSecond) {
            if (!(bytesPerSecond > 0)) {
                throw new IllegalArgumentException("slow tier bandwidth must be positive, got " + bytesPerSecond);
            }
            this.slowBytesPerSecond = bytesPerSecond;
            this.slowRatio = Double.NaN;
            return this;
        }

        /**
         * Throttles the slow tier to {@code ratio} times this machine's measured memory bandwidth
         * ({@link MemoryBandwidth#measureCopy} over 64 MiB, measured once when {@link #build()} runs),
         * for example {@code 450.0 / 4900.0} to emulate a GH200's slow tier.
         *
         * @param ratio slow over fast bandwidth, in (0, 1]
         */
        public Builder slowTierBandwidthRatio(double ratio) {
            if (!(ratio > 0 && ratio <= 1)) {
                throw new IllegalArgumentException("slow tier bandwidth ratio must be in (0, 1], got " + ratio);
            }
            this.slowRatio = ratio;
            return this;
        }

        /**
         * Whether every page keeps a copy in the slow tier (default {@code false}: a page sits in
         * exactly one tier). Inclusive: new pages take a slow slot always and a fast slot too when
         * placed in the fast tier; appends write both copies (the slow tier's write throttle is
         * charged for every token); a promotion copies the page into a fast slot and keeps the slow
         * one; a demotion frees the fast slot and copies nothing; the two lanes of an attend choose
         * which pages with both copies to read from the slow tier, so that both lanes finish
         * together. The slow tier must hold every page: an append fails with
         * {@link TierFullException} when it has no free slot, whatever the fast tier has.
         */
        public Builder inclusive(boolean inclusive) {
            this.inclusive = inclusive;
            return this;
        }

        /** The decode kernel; default {@link Kernels#lookup()}. */
        public Builder kernel(DecodeKernel kernel) {
            this.kernel = Objects.requireNonNull(kernel, "kernel");
            return this;
        }

        private static long nonNegative(String what, long v) {
            if (v < 0) {
                throw new IllegalArgumentException(what + " must be >= 0, got " + v);
            }
            return v;
        }

        /**
         * Allocates the tiers and returns the cache.
         *
         * <p>The memory is worked out and checked first, so a size that cannot fit fails before
         * anything is allocated: the two slabs and the key metadata (off-heap, from
         * {@code Arena.ofShared()}, which is not counted against {@code -XX:MaxDirectMemorySize})
         * against the machine's physical memory (or the container's limit), the page records
         * (33 bytes per page) and one sequence's page table against the maximum heap, and the page
         * count against the largest Java array. <b>Note:</b> the slabs are zeroed when allocated, so
         * they take physical memory at once; a size within the physical memory but beyond what is
         * free may still make the operating system refuse it (an {@link IllegalArgumentException}
         * naming the slab) or, with overcommitted memory, end the process.
         *
         * @throws IllegalArgumentException if the shape or a tier size is missing, or the tiers, their
         *     metadata or a sequence's page table cannot fit; the message names the size and what is
         *     available
         */
        public TieredKvCache build() {
            if (!Double.isNaN(slowRatio)) {
                slowBytesPerSecond = slowRatio * MemoryBandwidth.measureCopy(64L << 20, 3);
            }
            return new TieredKvCache(this);
        }
    }
}
