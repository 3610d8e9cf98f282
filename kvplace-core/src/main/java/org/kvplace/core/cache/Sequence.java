package org.kvplace.core.cache;

import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.layout.PageLayout;
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
    private final SequenceChecks checks;
    private final SequencePages pages; // guarded by lock
    private final SequenceLayerView[] views;
    private final StampedLock lock = new StampedLock();
    private final ReentrantLock migrationLock = new ReentrantLock(); // one migration of this sequence at a time
    private volatile boolean closed;

    Sequence(TieredKvCache cache, int id) {
        this.cache = cache;
        this.id = id;
        this.shape = cache.shape();
        this.layout = cache.layout();
        this.checks = new SequenceChecks(shape, layout, id);
        this.pages = new SequencePages(cache, cache.pageTable(), cache.keyBounds(), shape.layers());
        this.views = new SequenceLayerView[shape.layers()];
        for (int l = 0; l < views.length; l++) {
            views[l] = new SequenceLayerView(pages, cache.pageTable(), cache.keyBounds(), layout, l);
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
        checks.checkLayer(layer);
        checks.checkVector("k", k, layer);
        checks.checkVector("v", v, layer);
        long stamp = lock.writeLock();
        try {
            ensureOpen();
            int t = pages.tokens(layer);
            if (t >= shape.maxTokens()) {
                throw new IllegalStateException("layer " + layer + " of sequence " + id + " already holds maxTokens="
                        + shape.maxTokens() + " tokens");
            }
            pages.append(this, layer, k, v, preferred);
        } finally {
            lock.unlockWrite(stamp);
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
        checks.checkQuery(layer, q, out);
        long stamp = lock.readLock();
        try {
            ensureHasTokens(layer);
            if (pages != null) {
                checks.checkPages(layer, pages, pageCount, this.pages.pageCount(layer));
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
        checks.checkQuery(layer, q, out);
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
        checks.checkQuery(layer, q, out);
        long stamp = lock.readLock();
        try {
            ensureOpen();
            ensureHasTokens(layer);
            attention.attendPages(views[layer], q, out, pages, pageCount);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Caller holds the lock. */
    private void ensureHasTokens(int layer) {
        ensureOpen();
        if (pages.tokens(layer) == 0) {
            throw new IllegalStateException("layer " + layer + " of sequence " + id + " holds no tokens");
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

    /**
     * Copies the stored key of {@code token} of {@code layer} from the page's copy in tier
     * {@code copy}: a page in the fast tier of an inclusive cache has a copy in each tier, which
     * must hold the same bytes.
     *
     * @throws IllegalArgumentException on a bad layer or length, or if the token's page has no copy in
     *     {@code copy}
     * @throws IndexOutOfBoundsException if the token is not stored
     */
    public void readKey(int layer, int token, float[] dst, TierKind copy) {
        read(layer, token, dst, true, Objects.requireNonNull(copy, "copy"));
    }

    /** Like {@link #readKey(int, int, float[], TierKind)} for the value. */
    public void readValue(int layer, int token, float[] dst, TierKind copy) {
        read(layer, token, dst, false, Objects.requireNonNull(copy, "copy"));
    }

    private void read(int layer, int token, float[] dst, boolean key) {
        read(layer, token, dst, key, null);
    }

    /** {@code copy}: the tier to read from, or {@code null} for the page's own tier. */
    private void read(int layer, int token, float[] dst, boolean key, TierKind copy) {
        checks.checkLayer(layer);
        if (dst.length != shape.kvWidth()) {
            throw new IllegalArgumentException("dst length " + dst.length + " != kvHeads*headDim=" + shape.kvWidth());
        }
        long stamp = lock.readLock();
        try {
            ensureOpen();
            int n = pages.tokens(layer);
            if (token < 0 || token >= n) {
                throw new IndexOutOfBoundsException("token " + token + " out of range [0, " + n
                        + ") for layer " + layer + " of sequence " + id);
            }
            if (copy != null) {
                int index = pages.index(layer, token / cache.layout().pageTokens());
                TierKind tier = cache.pageTable().tierKindAt(index);
                boolean slowCopy = copy == TierKind.SLOW && tier == TierKind.FAST;
                if (tier != copy && !(slowCopy && cache.pageTable().hasSlowCopy(index))) {
                    throw new IllegalArgumentException("token " + token + " of layer " + layer + " of sequence " + id
                            + " has no copy in tier " + copy + " (its page sits in tier " + tier + " only)");
                }
                pages.read(layer, token, dst, key, slowCopy);
            } else {
                pages.read(layer, token, dst, key);
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
        readBounds(false, layer, page, kvHead, min, max);
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
        readBounds(true, layer, group, kvHead, min, max);
    }

    /**
     * Copies the min/max of unit {@code unit} for one KV head: a page ({@code unitPages == 1}, its
     * record at the page's index) or a page group (its record from the group table).
     */
    private void readBounds(boolean group, int layer, int unit, int kvHead, float[] min, float[] max) {
        checks.checkLayer(layer);
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
            int unitPages = group ? TieredKvCache.GROUP_PAGES : 1;
            String what = group ? "group" : "page";
            int n = Math.ceilDiv(pages.pageCount(layer), unitPages);
            if (unit < 0 || unit >= n) {
                throw new IndexOutOfBoundsException(what + " " + unit + " out of range [0, " + n + ") for layer "
                        + layer + " of sequence " + id);
            }
            cache.keyBounds().read(group, group ? pages.groupRecord(layer, unit) : pages.index(layer, unit), kvHead,
                    min, max);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Tokens held by {@code layer}. */
    public int tokens(int layer) {
        checks.checkLayer(layer);
        long stamp = lock.readLock();
        try {
            return pages.tokens(layer);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Pages held by {@code layer}. */
    public int pageCount(int layer) {
        int t = tokens(layer);
        return Math.ceilDiv(t, layout.pageTokens());
    }

    /**
     * The handle of page {@code page} of {@code layer}, for {@link TieredKvCache#migrate}.
     *
     * @throws IndexOutOfBoundsException if the page does not exist
     */
    public long pageHandle(int layer, int page) {
        checks.checkLayer(layer);
        long stamp = lock.readLock();
        try {
            ensureOpen();
            int n = pages.pageCount(layer);
            if (page < 0 || page >= n) {
                throw new IndexOutOfBoundsException("page " + page + " out of range [0, " + n + ") for layer " + layer
                        + " of sequence " + id);
            }
            return pages.handle(layer, page);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** The lock of this sequence: appends, frees and migration flips exclusive, readers shared. */
    StampedLock lock() {
        return lock;
    }

    /** Serialises the migrations of this sequence's pages ({@link PageMigrator}). */
    ReentrantLock migrationLock() {
        return migrationLock;
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
            RuntimeException failure = cache.isClosed() ? null : pages.freeAll();
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

    @Override
    public String toString() {
        return "Sequence[" + id + (closed ? ", closed" : "") + "]";
    }
}
