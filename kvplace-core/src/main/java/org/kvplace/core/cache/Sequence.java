package org.kvplace.core.cache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierSlab;
import org.kvplace.core.memory.TierKind;

/**
 * One sequence of a {@link TieredKvCache}: a page table per layer and the operations of a decode
 * step on it (append the new token's K and V, attend with a query).
 *
 * <p>Thread safety: all methods may be called from any thread. Appends and migrations of this
 * sequence's pages are exclusive; attends and reads share. {@link #close()} returns every slot to
 * its tier and is idempotent; other calls afterwards throw {@link IllegalStateException}.
 */
public final class Sequence implements AutoCloseable {

    /**
     * Largest magnitude of a key, value or query element that {@link #append} and {@link #attend}
     * accept: 2<sup>32</sup>. Larger finite values are rejected, not scaled. Within it attention in
     * f32 cannot overflow, so its result is finite: a score is at most {@code headDim * 2^64 <= 2^92}
     * (headDim is below 2<sup>28</sup>), and the weighted sum of values at most
     * {@code tokens * 2^32 < 2^63}, far below {@link Float#MAX_VALUE} (about 2<sup>128</sup>). Real
     * models' K, V and Q stay many orders of magnitude below it.
     */
    public static final float MAX_ABS_VALUE = 0x1p32f;

    private final TieredKvCache cache;
    private final int id;
    private final ModelShape shape;
    private final PageLayout layout;
    private final long[][] pageTable; // [layer][page] -> handle
    private final int[][] groupTable; // [layer][group] -> page-group metadata record
    private final int[] tokens;       // per layer
    private final LayerView[] views;
    private final StampedLock lock = new StampedLock();
    private final ReentrantLock migrationLock = new ReentrantLock(); // one migration of this sequence at a time
    private volatile boolean closed;

    Sequence(TieredKvCache cache, int id) {
        this.cache = cache;
        this.id = id;
        this.shape = cache.shape();
        this.layout = cache.layout();
        this.pageTable = new long[shape.layers()][cache.pagesPerLayer()];
        this.groupTable = new int[shape.layers()][Math.ceilDiv(cache.pagesPerLayer(), TieredKvCache.GROUP_PAGES)];
        this.tokens = new int[shape.layers()];
        this.views = new LayerView[shape.layers()];
        for (int l = 0; l < views.length; l++) {
            views[l] = new LayerView(l);
        }
    }

    /** This sequence's id, unique within its cache. */
    public int id() {
        return id;
    }

    /** The cache this sequence belongs to. */
    public TieredKvCache cache() {
        return cache;
    }

    /**
     * Appends one token's key and value of one layer.
     *
     * <p>A new page is allocated every {@code pageTokens} tokens: in the fast tier while it has room,
     * else in the slow tier. Values are validated before anything is written, so a rejected call
     * leaves the sequence unchanged.
     *
     * @param layer layer index in {@code [0, layers)}
     * @param k key, {@code kvHeads * headDim} floats, KV head after KV head
     * @param v value, same length as {@code k}
     * @throws IllegalArgumentException on a bad layer, a wrong vector length, or a NaN or infinite
     *     value, one of magnitude above {@link #MAX_ABS_VALUE} (rejected, not scaled), or one that
     *     overflows f16 in an f16 cache
     * @throws IllegalStateException if the layer already holds {@code maxTokens} tokens, or the
     *     sequence or cache is closed
     * @throws TierFullException if a new page is needed and both tiers are full
     */
    public void append(int layer, float[] k, float[] v) {
        append(layer, k, v, TierKind.FAST);
    }

    /**
     * Appends one token's key and value of one layer, like {@link #append(int, float[], float[])},
     * putting a new page (when this token opens one) in {@code preferred} if it has a free slot,
     * else in the other tier. A placement engine calls this with its policy's choice; the tier the
     * page got is {@link TieredKvCache#tierOf} of {@link #pageHandle}.
     *
     * @param preferred the tier for a new page; ignored when the token goes into an existing page
     * @throws IllegalArgumentException as {@link #append(int, float[], float[])}, or if
     *     {@code preferred} is null
     * @throws IllegalStateException as {@link #append(int, float[], float[])}
     * @throws TierFullException if a new page is needed and both tiers are full
     */
    public void append(int layer, float[] k, float[] v, TierKind preferred) {
        if (preferred == null) {
            throw new IllegalArgumentException("preferred tier is null");
        }
        checkLayer(layer);
        checkVector("k", k, layer);
        checkVector("v", v, layer);
        long stamp = lock.writeLock();
        try {
            ensureOpen();
            int t = tokens[layer];
            if (t >= shape.maxTokens()) {
                throw new IllegalStateException("layer " + layer + " of sequence " + id + " already holds maxTokens="
                        + shape.maxTokens() + " tokens");
            }
            int pageIndex = t / layout.pageTokens();
            int inPage = t % layout.pageTokens();
            boolean groupStart = inPage == 0 && pageIndex % TieredKvCache.GROUP_PAGES == 0;
            if (inPage == 0) {
                pageTable[layer][pageIndex] = cache.allocatePage(this, layer, t, preferred);
                if (groupStart) {
                    groupTable[layer][pageIndex / TieredKvCache.GROUP_PAGES] = cache.allocateGroupRecord();
                }
            }
            int index = Pages.index(pageTable[layer][pageIndex]);
            TierSlab tier = cache.tierAt(index);
            MemorySegment slab = tier.slab();
            long base = tier.slotOffset(cache.slotAt(index));
            int headDim = shape.headDim();
            int group = groupTable[layer][pageIndex / TieredKvCache.GROUP_PAGES];
            for (int h = 0; h < shape.kvHeads(); h++) {
                writeHead(slab, base + layout.keyOffset(h, inPage), k, h * headDim);
                writeHead(slab, base + layout.valueOffset(h, inPage), v, h * headDim);
                cache.updateKeyBounds(index, h, k, h * headDim, inPage == 0);
                cache.updateGroupKeyBounds(group, h, k, h * headDim, groupStart);
            }
            tier.chargeWrite(layout.tokenBytes());
            cache.setTokensAt(index, inPage + 1);
            tokens[layer] = t + 1;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private void writeHead(MemorySegment slab, long offset, float[] src, int srcOffset) {
        if (layout.elementType() == ElementType.F32) {
            MemorySegment.copy(src, srcOffset, slab, ValueLayout.JAVA_FLOAT, offset, shape.headDim());
        } else {
            ElementType type = layout.elementType();
            for (int d = 0; d < shape.headDim(); d++) {
                type.store(slab, offset + (long) d * type.bytes(), src[srcOffset + d]);
            }
        }
    }

    /**
     * Dense decode attention of one query token over every token of {@code layer}.
     *
     * @param layer layer index
     * @param q query, {@code queryHeads * headDim} floats with {@code queryHeads} a positive multiple of
     *     {@code kvHeads}; query head {@code h} reads KV head {@code h / (queryHeads / kvHeads)}
     * @param out receives the attention output, same length as {@code q}
     * @throws IllegalArgumentException on a bad layer, a wrong length, or a NaN or infinite query value
     *     or one of magnitude above {@link #MAX_ABS_VALUE} (rejected, not scaled); with every stored and
     *     query value within that bound, {@code out} is always finite
     * @throws IllegalStateException if the layer holds no token, or the sequence or cache is closed
     */
    public void attend(int layer, float[] q, float[] out) {
        attend(layer, q, out, null, 0);
    }

    /**
     * Sparse decode attention: like {@link #attend(int, float[], float[])} but reads only the pages
     * {@code pages[0 .. pageCount-1]} (indices into this layer's page table, strictly increasing).
     * {@code pages == null} means every page.
     *
     * @throws IllegalArgumentException also if a page index is out of range or the indices are not
     *     strictly increasing, or {@code pageCount} is out of range
     */
    public void attend(int layer, float[] q, float[] out, int[] pages, int pageCount) {
        checkQuery(layer, q, out);
        long stamp = lock.readLock();
        try {
            ensureHasTokens(layer);
            if (pages != null) {
                checkPages(layer, pages, pageCount);
            }
            cache.kernel().attend(views[layer], q, out, pages, pageCount);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * Sparse decode attention over both tiers: {@code attention} selects pages within its token
     * budget, reads the fast-tier and slow-tier pages in two lanes and merges them; afterwards it
     * reports the pages read and their attention mass.
     *
     * @param layer layer index
     * @param q query, as for {@link #attend(int, float[], float[])}
     * @param out receives the attention output, same length as {@code q}
     * @param attention the caller's driver, built for this cache's shape and at least
     *     {@link TieredKvCache#pagesPerLayer()} pages
     * @throws IllegalArgumentException on a bad layer, a wrong length, a NaN or infinite query value
     *     or one of magnitude above {@link #MAX_ABS_VALUE}, or a driver that does not fit this cache
     * @throws IllegalStateException if the layer holds no token, or the sequence or cache is closed
     */
    public void attend(int layer, float[] q, float[] out, SparseAttention attention) {
        Objects.requireNonNull(attention, "attention");
        if (attention.headDim() != shape.headDim() || attention.queryHeads() % shape.kvHeads() != 0
                || attention.maxPages() < cache.pagesPerLayer()) {
            throw new IllegalArgumentException(attention + " built for queryHeads=" + attention.queryHeads()
                    + " headDim=" + attention.headDim() + " maxPages=" + attention.maxPages() + " does not fit kvHeads="
                    + shape.kvHeads() + " headDim=" + shape.headDim() + " pagesPerLayer=" + cache.pagesPerLayer());
        }
        checkQuery(layer, q, out);
        if (q.length != attention.queryHeads() * shape.headDim()) {
            throw new IllegalArgumentException("q length " + q.length + " must be queryHeads*headDim="
                    + attention.queryHeads() * shape.headDim() + " of " + attention);
        }
        long stamp = lock.readLock();
        try {
            ensureHasTokens(layer);
            attention.attend(views[layer], q, out);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * Attention over the given pages only, in two lanes, without selection: for a driver that knows
     * the read set (a trace replayed on the live cache); see {@link SparseAttention#attendPages}.
     *
     * @param pages page indices of this layer, strictly increasing
     * @param pageCount how many of {@code pages} to read, at least 1
     * @throws IllegalArgumentException as {@link #attend(int, float[], float[], SparseAttention)}, or
     *     for a page index out of range or out of order
     * @throws IllegalStateException if the layer holds no token, or the sequence or cache is closed
     */
    public void attend(int layer, float[] q, float[] out, SparseAttention attention, int[] pages, int pageCount) {
        Objects.requireNonNull(attention, "attention");
        Objects.requireNonNull(pages, "pages");
        checkQuery(layer, q, out);
        long stamp = lock.readLock();
        try {
            ensureOpen();
            ensureHasTokens(layer);
            attention.attendPages(views[layer], q, out, pages, pageCount);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Validates a query and its output before any lock is taken. */
    private void checkQuery(int layer, float[] q, float[] out) {
        checkLayer(layer);
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(out, "out");
        int headDim = shape.headDim();
        if (q.length == 0 || q.length % headDim != 0 || (q.length / headDim) % shape.kvHeads() != 0) {
            throw new IllegalArgumentException("q length " + q.length + " is not a positive multiple of kvHeads*headDim="
                    + shape.kvWidth() + " (queryHeads must be a multiple of kvHeads=" + shape.kvHeads() + ")");
        }
        if (out.length != q.length) {
            throw new IllegalArgumentException("out length " + out.length + " differs from q length " + q.length);
        }
        checkValues("q", q, layer);
    }

    /** Caller holds the lock. */
    private void ensureHasTokens(int layer) {
        ensureOpen();
        if (tokens[layer] == 0) {
            throw new IllegalStateException("layer " + layer + " of sequence " + id + " holds no tokens");
        }
    }

    /** Caller holds the lock: reads {@code tokens} directly (StampedLock is not re-entrant). */
    private void checkPages(int layer, int[] pages, int pageCount) {
        int n = (tokens[layer] + layout.pageTokens() - 1) / layout.pageTokens();
        if (pageCount <= 0 || pageCount > pages.length) {
            throw new IllegalArgumentException("pageCount " + pageCount + " out of range [1, " + pages.length + "]");
        }
        int prev = -1;
        for (int i = 0; i < pageCount; i++) {
            int p = pages[i];
            if (p < 0 || p >= n) {
                throw new IllegalArgumentException("pages[" + i + "]=" + p + " out of range [0, " + n + ") for layer "
                        + layer + " of sequence " + id);
            }
            if (p <= prev) {
                throw new IllegalArgumentException("pages must be strictly increasing: pages[" + i + "]=" + p
                        + " after " + prev);
            }
            prev = p;
        }
    }

    /**
     * Copies the stored key of {@code token} of {@code layer} (all KV heads) into {@code dst}.
     *
     * @throws IllegalArgumentException on a bad layer or length
     * @throws IndexOutOfBoundsException if the token is not stored
     */
    public void readKey(int layer, int token, float[] dst) {
        read(layer, token, dst, true);
    }

    /** Like {@link #readKey} for the value. */
    public void readValue(int layer, int token, float[] dst) {
        read(layer, token, dst, false);
    }

    private void read(int layer, int token, float[] dst, boolean key) {
        checkLayer(layer);
        if (dst.length != shape.kvWidth()) {
            throw new IllegalArgumentException("dst length " + dst.length + " != kvHeads*headDim=" + shape.kvWidth());
        }
        long stamp = lock.readLock();
        try {
            ensureOpen();
            if (token < 0 || token >= tokens[layer]) {
                throw new IndexOutOfBoundsException("token " + token + " out of range [0, " + tokens[layer]
                        + ") for layer " + layer + " of sequence " + id);
            }
            int index = Pages.index(pageTable[layer][token / layout.pageTokens()]);
            int inPage = token % layout.pageTokens();
            TierSlab tier = cache.tierAt(index);
            MemorySegment slab = tier.slab();
            long base = tier.slotOffset(cache.slotAt(index));
            ElementType type = layout.elementType();
            int headDim = shape.headDim();
            for (int h = 0; h < shape.kvHeads(); h++) {
                long off = base + (key ? layout.keyOffset(h, inPage) : layout.valueOffset(h, inPage));
                for (int d = 0; d < headDim; d++) {
                    dst[h * headDim + d] = type.load(slab, off + (long) d * type.bytes());
                }
            }
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * Copies the key metadata of one page and KV head: the element-wise minimum and maximum of the
     * keys stored in the page for that head (f32; for an f16 cache, of the stored, rounded values).
     *
     * @param layer layer index
     * @param page page index within the layer
     * @param kvHead KV head in {@code [0, kvHeads)}
     * @param min receives {@code headDim} minimums
     * @param max receives {@code headDim} maximums
     * @throws IllegalArgumentException on a bad layer, head or array length
     * @throws IndexOutOfBoundsException if the page does not exist
     */
    public void readKeyBounds(int layer, int page, int kvHead, float[] min, float[] max) {
        readBounds(cache.metadata(), "page", 1, layer, page, kvHead, min, max);
    }

    /**
     * Copies the key metadata of one page group and KV head: the element-wise minimum and maximum of
     * the keys of pages {@code group * GROUP_PAGES ..} (at most {@link TieredKvCache#GROUP_PAGES}
     * pages, fewer in the newest group) for that head, as {@link #readKeyBounds} gives them per page.
     *
     * @param layer layer index
     * @param group group index within the layer
     * @param kvHead KV head in {@code [0, kvHeads)}
     * @param min receives {@code headDim} minimums
     * @param max receives {@code headDim} maximums
     * @throws IllegalArgumentException on a bad layer, head or array length
     * @throws IndexOutOfBoundsException if the group does not exist
     */
    public void readGroupKeyBounds(int layer, int group, int kvHead, float[] min, float[] max) {
        readBounds(cache.groupMetadata(), "group", TieredKvCache.GROUP_PAGES, layer, group, kvHead, min, max);
    }

    /**
     * Copies the min/max of unit {@code unit} for one KV head: a page ({@code unitPages == 1}, its
     * record at the page's index) or a page group (its record from the group table).
     */
    private void readBounds(MemorySegment metadata, String what, int unitPages, int layer, int unit, int kvHead,
            float[] min, float[] max) {
        checkLayer(layer);
        if (kvHead < 0 || kvHead >= shape.kvHeads()) {
            throw new IllegalArgumentException("kvHead " + kvHead + " out of range [0, " + shape.kvHeads() + ")");
        }
        if (min.length != shape.headDim() || max.length != shape.headDim()) {
            throw new IllegalArgumentException("min/max lengths " + min.length + "/" + max.length + " != headDim="
                    + shape.headDim());
        }
        long stamp = lock.readLock();
        try {
            ensureOpen();
            int pages = (tokens[layer] + layout.pageTokens() - 1) / layout.pageTokens();
            int n = (pages + unitPages - 1) / unitPages;
            if (unit < 0 || unit >= n) {
                throw new IndexOutOfBoundsException(what + " " + unit + " out of range [0, " + n + ") for layer "
                        + layer + " of sequence " + id);
            }
            int index = unitPages == 1 ? Pages.index(pageTable[layer][unit]) : groupTable[layer][unit];
            MemorySegment.copy(metadata, ValueLayout.JAVA_FLOAT, cache.keyMinOffset(index, kvHead), min, 0, min.length);
            MemorySegment.copy(metadata, ValueLayout.JAVA_FLOAT, cache.keyMaxOffset(index, kvHead), max, 0, max.length);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Tokens held by {@code layer}. */
    public int tokens(int layer) {
        checkLayer(layer);
        long stamp = lock.readLock();
        try {
            return tokens[layer];
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Pages held by {@code layer}. */
    public int pageCount(int layer) {
        int t = tokens(layer);
        return (t + layout.pageTokens() - 1) / layout.pageTokens();
    }

    /**
     * The handle of page {@code page} of {@code layer}, for {@link TieredKvCache#migrate}.
     *
     * @throws IndexOutOfBoundsException if the page does not exist
     */
    public long pageHandle(int layer, int page) {
        checkLayer(layer);
        long stamp = lock.readLock();
        try {
            ensureOpen();
            int n = (tokens[layer] + layout.pageTokens() - 1) / layout.pageTokens();
            if (page < 0 || page >= n) {
                throw new IndexOutOfBoundsException("page " + page + " out of range [0, " + n + ") for layer " + layer
                        + " of sequence " + id);
            }
            return pageTable[layer][page];
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * Migrates one of this sequence's pages; see {@link TieredKvCache#tryMigrate}.
     *
     * <p>Migrations of one sequence are serialised by {@code migrationLock}, so between the copy and
     * the flip only an append can change the page. The copy runs under the read lock: appends wait,
     * attends proceed (they read the old slot, which stays valid). The page-table entry flips under
     * the write lock, after the copy is complete, so no reader sees a half-copied page and none is
     * inside the old slot when it is freed. If an append slipped in between the two locks, the page
     * is copied again.
     */
    boolean migrateLocked(long page, TierKind target) {
        migrationLock.lock();
        try {
            long stamp = lock.readLock();
            try {
                if (closed) {
                    throw new IllegalArgumentException("unknown or freed page " + Pages.describe(page));
                }
                cache.ensureOpen();
                int index = cache.resolveOwned(page, this);
                int newSlot = cache.reserveTargetSlot(page, index, target);
                if (newSlot < 0) {
                    return false;
                }
                int copiedTokens = cache.tokensAt(index);
                cache.copyPage(index, newSlot);
                long ws = lock.tryConvertToWriteLock(stamp);
                if (ws == 0L) {
                    lock.unlockRead(stamp);
                    stamp = lock.writeLock();
                    if (closed || !cache.isLive(page)) {
                        // The sequence closed meanwhile: its pages are gone, give the slot back.
                        cache.releaseSlot(target, newSlot);
                        throw new IllegalArgumentException("unknown or freed page " + Pages.describe(page));
                    }
                    if (cache.tokensAt(index) != copiedTokens) {
                        cache.copyPage(index, newSlot);
                    }
                } else {
                    stamp = ws;
                }
                cache.flip(index, newSlot);
                return true;
            } finally {
                lock.unlock(stamp);
            }
        } finally {
            migrationLock.unlock();
        }
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Returns every page's slot to its tier. Idempotent. If freeing a page fails (the cache is being
     * closed by another thread), the remaining pages are still released and the first failure is
     * rethrown.
     */
    @Override
    public void close() {
        long stamp = lock.writeLock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            RuntimeException failure = null;
            if (!cache.isClosed()) {
                for (int l = 0; l < tokens.length; l++) {
                    int n = (tokens[l] + layout.pageTokens() - 1) / layout.pageTokens();
                    for (int p = 0; p < n; p++) {
                        try {
                            cache.freePage(Pages.index(pageTable[l][p]));
                            if (p % TieredKvCache.GROUP_PAGES == 0) {
                                cache.freeGroupRecord(groupTable[l][p / TieredKvCache.GROUP_PAGES]);
                            }
                        } catch (RuntimeException e) {
                            if (failure == null) {
                                failure = e;
                            }
                        }
                    }
                    tokens[l] = 0;
                }
            }
            cache.sequenceClosed();
            if (failure != null) {
                throw failure;
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private void ensureOpen() {
        cache.ensureOpen();
        if (closed) {
            throw new IllegalStateException("sequence " + id + " is closed");
        }
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= shape.layers()) {
            throw new IllegalArgumentException("layer " + layer + " out of range [0, " + shape.layers() + ")");
        }
    }

    private void checkVector(String name, float[] x, int layer) {
        Objects.requireNonNull(x, name);
        if (x.length != shape.kvWidth()) {
            throw new IllegalArgumentException(name + " length " + x.length + " != kvHeads*headDim=" + shape.kvWidth()
                    + " (layer " + layer + " of sequence " + id + ")");
        }
        checkValues(name, x, layer);
        ElementType type = layout.elementType();
        if (type != ElementType.F32) {
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(type.round(x[i]))) {
                    throw new IllegalArgumentException(name + "[" + i + "]=" + x[i] + " overflows " + type
                            + " (layer " + layer + " of sequence " + id + ")");
                }
            }
        }
    }

    /** Rejects NaN, infinite and out-of-bound values, naming the first. */
    private void checkValues(String name, float[] x, int layer) {
        for (int i = 0; i < x.length; i++) {
            float a = Math.abs(x[i]);
            if (!(a <= MAX_ABS_VALUE)) {
                throw new IllegalArgumentException(name + "[" + i + "]=" + x[i] + (Float.isFinite(x[i])
                        ? " exceeds the largest magnitude accepted, " + MAX_ABS_VALUE + " (2^32)"
                        : " is not finite") + " (layer " + layer + " of sequence " + id + ")");
            }
        }
    }

    @Override
    public String toString() {
        return "Sequence[" + id + (closed ? ", closed" : "") + "]";
    }

    /** Flyweight view of one layer for kernels; valid under the sequence's read lock. */
    private final class LayerView implements KvLayerView {
        private final int layer;

        LayerView(int layer) {
            this.layer = layer;
        }

        private int index(int page) {
            return Pages.index(pageTable[layer][page]);
        }

        @Override
        public PageLayout layout() {
            return layout;
        }

        @Override
        public int pageCount() {
            return (tokens[layer] + layout.pageTokens() - 1) / layout.pageTokens();
        }

        @Override
        public int tokenCount() {
            return tokens[layer];
        }

        @Override
        public int pageTokens(int page) {
            return cache.tokensAt(index(page));
        }

        @Override
        public TierKind tier(int page) {
            return cache.tierKindAt(index(page));
        }

        @Override
        public MemorySegment segment(int page) {
            return cache.tierAt(index(page)).slab();
        }

        @Override
        public long offset(int page) {
            int index = index(page);
            return cache.tierAt(index).slotOffset(cache.slotAt(index));
        }

        @Override
        public long pageHandle(int page) {
            return pageTable[layer][page];
        }

        @Override
        public void chargeRead(int page, long bytes) {
            cache.tierAt(index(page)).chargeRead(bytes);
        }

        @Override
        public MemorySegment metadata() {
            return cache.metadata();
        }

        @Override
        public long keyMinOffset(int page, int kvHead) {
            return cache.keyMinOffset(index(page), kvHead);
        }

        @Override
        public long keyMaxOffset(int page, int kvHead) {
            return cache.keyMaxOffset(index(page), kvHead);
        }

        @Override
        public int groupPages() {
            return TieredKvCache.GROUP_PAGES;
        }

        @Override
        public MemorySegment groupMetadata() {
            return cache.groupMetadata();
        }

        @Override
        public long groupKeyMinOffset(int group, int kvHead) {
            return cache.keyMinOffset(groupTable[layer][group], kvHead);
        }

        @Override
        public long groupKeyMaxOffset(int group, int kvHead) {
            return cache.keyMaxOffset(groupTable[layer][group], kvHead);
        }
    }
}
