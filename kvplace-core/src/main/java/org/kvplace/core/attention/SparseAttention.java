package org.kvplace.core.attention;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;

/**
 * One decode thread's driver of sparse attention over both tiers: scores pages from their key
 * metadata, selects pages within a token budget ({@link PageSelection}), splits the selected pages
 * by tier, reads the fast-tier lane on the calling thread while a dedicated thread reads the
 * slow-tier lane (which waits for the slow tier's throttle), and merges the pages' partial
 * {@link AttentionState}s by log-sum-exp. After each {@link #attend} it reports the pages read,
 * their tiers and attention mass, and each lane's time.
 *
 * <p><b>Placement never changes the result.</b> The selected pages are cut into blocks of
 * consecutive pages; each block is read into a partial state of its own and the block states merge
 * in block order, whichever tier and lane read them, so the output and the page masses are
 * bit-for-bit the same wherever the pages sit (and with parallel or sequential lanes). Page
 * selection reads only key metadata, which does not move.
 *
 * <p>Built with {@link #builder}:
 * <pre>{@code
 * SparseAttention attention = SparseAttention.builder(kernel, queryHeads, headDim, maxPages)
 *         .budgetTokens(2048)   // default PageSelection.ALL: dense
 *         .oversample(2)        // default 0: flat selection
 *         .build();             // parallel lanes by default
 * }</pre>
 *
 * <p>Ownership and lifetime: all scratch is allocated in the constructor and reused, so
 * {@link #attend} does not allocate. The slow-lane thread (a daemon) starts on the first step that
 * has pages in both tiers and stops in {@link #close()}, which is idempotent (or, if an instance is
 * never closed, some time after it has become unreachable); {@code attend} after
 * {@code close} throws {@link IllegalStateException}. Thread safety: an instance is confined to one
 * decode thread at a time; the results read back belong to the last step.
 */
public final class SparseAttention implements AutoCloseable {

    private final DecodeKernel kernel;
    private final int queryHeads;
    private final int headDim;
    private final int maxPages;
    private final int budgetTokens;
    private final boolean parallelLanes;
    private final int oversample;

    private final TwoLevelScorer twoLevel; // null for flat selection
    private int candidateCount;

    private final PageSelection selection;
    private final float[] scores;
    private final int[] selected;
    private final float[] mass;
    private final byte[] tiers;
    private final LaneReader reader;
    private int selectedCount;

    private final AtomicBoolean closed = new AtomicBoolean();

    private SparseAttention(Builder b) {
        this.kernel = Objects.requireNonNull(b.kernel, "kernel");
        if (b.queryHeads <= 0 || b.headDim <= 0 || b.maxPages <= 0) {
            throw new IllegalArgumentException("queryHeads, headDim and maxPages must be positive, got queryHeads="
                    + b.queryHeads + " headDim=" + b.headDim + " maxPages=" + b.maxPages);
        }
        if (b.budgetTokens < 0) {
            throw new IllegalArgumentException("budgetTokens must be >= 0, got " + b.budgetTokens);
        }
        if (b.oversample < 0) {
            throw new IllegalArgumentException("oversample must be >= 0, got " + b.oversample);
        }
        if (b.threads < 1 || b.threads > 2) {
            throw new IllegalArgumentException("threads must be 1 or 2, got " + b.threads);
        }
        this.queryHeads = b.queryHeads;
        this.headDim = b.headDim;
        this.maxPages = b.maxPages;
        this.budgetTokens = b.budgetTokens;
        this.parallelLanes = b.parallelLanes;
        this.oversample = b.oversample;
        this.twoLevel = oversample == 0 ? null : new TwoLevelScorer(kernel, oversample, maxPages);
        this.selection = new PageSelection(maxPages);
        this.scores = new float[maxPages];
        this.selected = new int[maxPages];
        this.mass = new float[maxPages];
        this.tiers = new byte[maxPages];
        this.reader = new LaneReader(kernel, queryHeads, headDim, maxPages, parallelLanes, b.threads == 2);
    }

    /**
     * A builder for a driver of one model shape.
     *
     * @param kernel the kernel that scores and reads pages
     * @param queryHeads query heads of the model, a positive multiple of its KV heads
     * @param headDim elements per head vector
     * @param maxPages most pages a layer may hold (the cache's pages per layer)
     * @return a builder with dense attention, flat selection and parallel lanes
     */
    public static Builder builder(DecodeKernel kernel, int queryHeads, int headDim, int maxPages) {
        return new Builder(kernel, queryHeads, headDim, maxPages);
    }

    /** Configures a {@link SparseAttention}; every setting is checked by {@link #build()}. */
    public static final class Builder {
        private final DecodeKernel kernel;
        private final int queryHeads;
        private final int headDim;
        private final int maxPages;
        private int budgetTokens = PageSelection.ALL;
        private boolean parallelLanes = true;
        private int oversample;
        private int threads = 1;

        private Builder(DecodeKernel kernel, int queryHeads, int headDim, int maxPages) {
            this.kernel = kernel;
            this.queryHeads = queryHeads;
            this.headDim = headDim;
            this.maxPages = maxPages;
        }

        /**
         * Tokens read per step at most (the sink and newest pages count against it and are read
         * whatever it is), or {@link PageSelection#ALL} (the default) for dense attention.
         *
         * @param tokens the budget, {@code >= 0}
         * @return this builder
         */
        public Builder budgetTokens(int tokens) {
            this.budgetTokens = tokens;
            return this;
        }

        /**
         * Whether the slow-tier lane runs on its own thread at the same time as the fast-tier lane
         * (the default), or after it on the calling thread. The result is the same either way.
         *
         * @param parallel {@code true} for two threads
         * @return this builder
         */
        public Builder parallelLanes(boolean parallel) {
            this.parallelLanes = parallel;
            return this;
        }

        /**
         * Threads that read a step's pages: {@code 1} (the default) gives the lane thread only the
         * slow tier's blocks (and blocks with slow copies, to balance the lanes); {@code 2} lets
         * either thread take any block the other has not reached yet (the calling thread from the
         * front, the lane thread from the back, where the slow tier's blocks are), so that a step
         * is read on two cores whichever tiers its pages sit in, once it has 4
         * blocks of 8 pages or more (fewer are read on the calling thread: handing
         * them over would cost more than it saves). Blocks are read into
         * partial states of their own and merged in block order, so the result is the same bits
         * either way. Lane times ({@link #fastLaneNanos()}, {@link #slowLaneNanos()}) are then the
         * two threads' times.
         *
         * @param threads {@code 1} or {@code 2}
         * @return this builder
         */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /**
         * Two-level selection's oversampling factor, or {@code 0} (the default) for flat selection.
         *
         * <p>Two-level selection, for layers that keep page-group metadata
         * ({@link KvLayerView#groupPages()} {@code > 0}; on other layers it is flat): the kernel
         * scores every group of {@code G} pages from the group's key min/max (the same bound as a
         * page's, and an upper bound of its pages' bounds); {@link PageSelection} keeps the first and
         * newest groups and then the best other groups that fit in {@code oversample * budgetTokens}
         * tokens (ties to the lower group index); the kernel scores only the pages of those groups;
         * and {@link PageSelection} chooses pages within the budget among them, sink and newest page
         * always included. Pages outside the kept groups are never chosen while the kept groups hold
         * enough pages for the budget (always, for {@code oversample >= 1}). The scan of metadata
         * thus reads {@code 1/G} of the page metadata plus the kept groups' pages' metadata, instead
         * of all page metadata. When the kept groups are all groups, the choice is exactly the flat
         * one, so below {@code oversample x budget} tokens of context two-level selection is flat
         * selection. How the step's time grows with the context and how much attention mass the
         * selection keeps, measured: {@code docs/decode.md} and {@code docs/performance.md}.
         *
         * @param factor {@code >= 0}
         * @return this builder
         */
        public Builder oversample(int factor) {
            this.oversample = factor;
            return this;
        }

        /**
         * The driver.
         *
         * @return a new driver, which the caller closes
         * @throws IllegalArgumentException if a size is not positive, the budget or oversample is negative, or
         *     threads is not 1 or 2
         */
        public SparseAttention build() {
            return new SparseAttention(this);
        }
    }

    /** The kernel used. */
    public DecodeKernel kernel() {
        return kernel;
    }

    /** The two-level selection's default oversampling factor, {@value}. */
    public static final int DEFAULT_OVERSAMPLE = 2;

    /** The two-level oversampling factor, or {@code 0} for flat selection. */
    public int oversample() {
        return oversample;
    }

    /** Pages whose bounds the last two-level step scored (every page for a flat step). */
    public int scoredPages() {
        return candidateCount;
    }

    /** The budget in tokens ({@link PageSelection#ALL} for dense). */
    public int budgetTokens() {
        return budgetTokens;
    }

    /** Query heads this driver was built for. */
    public int queryHeads() {
        return queryHeads;
    }

    /** Elements per head vector this driver was built for. */
    public int headDim() {
        return headDim;
    }

    /** Most pages per layer this driver accepts. */
    public int maxPages() {
        return maxPages;
    }

    /**
     * One step of attention of {@code q} over {@code layer}: select, read both lanes, merge, write
     * {@code out}. Called by {@code Sequence.attend} under the sequence's read lock.
     *
     * @param layer the layer's pages, valid for the duration of the call
     * @param q query, {@code queryHeads * headDim} floats
     * @param out receives the output, same length
     * @throws IllegalArgumentException if the lengths, the layout or the page count do not match
     *     this driver, or the layer holds no token
     * @throws IllegalStateException if this driver is closed
     */
    public void attend(KvLayerView layer, float[] q, float[] out) {
        int n = checkStep(layer, q, out);
        select(layer, q, n, layer.tokenCount(), layer.layout());
        read(layer, q, out);
    }

    /** Validates one step's arguments; returns the layer's page count. */
    private int checkStep(KvLayerView layer, float[] q, float[] out) {
        if (closed.get()) {
            throw new IllegalStateException("SparseAttention is closed");
        }
        PageLayout layout = layer.layout();
        int n = layer.pageCount();
        if (layout.headDim() != headDim || queryHeads % layout.kvHeads() != 0) {
            throw new IllegalArgumentException("layout " + layout + " does not fit queryHeads=" + queryHeads
                    + " headDim=" + headDim);
        }
        if (q.length != queryHeads * headDim || out.length != q.length) {
            throw new IllegalArgumentException("q length " + q.length + " and out length " + out.length
                    + " must be queryHeads*headDim=" + queryHeads * headDim);
        }
        if (n <= 0 || n > maxPages) {
            throw new IllegalArgumentException("layer pageCount " + n + " out of range [1, " + maxPages + "]");
        }
        return n;
    }

    /**
     * Attention over the given pages only, in two lanes like {@link #attend}, without selection:
     * for a driver that knows the read set (a trace replayed on the live cache). The report
     * afterwards ({@link #selectedPage}, {@link #pageMass}, ...) is about these pages.
     *
     * @param layer the layer's pages, valid for the duration of the call
     * @param q query, {@code queryHeads * headDim} floats
     * @param out receives the output, same length
     * @param pages page indices, strictly increasing, each below the layer's page count
     * @param count how many of {@code pages} to read, at least 1
     * @throws IllegalArgumentException if the lengths or the layout do not match this driver, or a
     *     page index is out of range or out of order (naming it)
     * @throws IllegalStateException if this driver is closed
     */
    public void attendPages(KvLayerView layer, float[] q, float[] out, int[] pages, int count) {
        int n = checkStep(layer, q, out);
        if (count < 1 || count > n || count > pages.length) {
            throw new IllegalArgumentException("page count " + count + " out of range [1, " + Math.min(n, pages.length)
                    + "]");
        }
        int prev = -1;
        for (int i = 0; i < count; i++) {
            int p = pages[i];
            if (p <= prev || p >= n) {
                throw new IllegalArgumentException("page " + p + " at position " + i + " is out of range [0, " + n
                        + ") or not above the previous page " + prev);
            }
            selected[i] = p;
            prev = p;
        }
        selectedCount = count;
        candidateCount = count;
        read(layer, q, out);
    }

    private void select(KvLayerView layer, float[] q, int n, int tokenCount, PageLayout layout) {
        if (budgetTokens >= tokenCount) {
            for (int p = 0; p < n; p++) {
                selected[p] = p;
            }
            selectedCount = n;
            candidateCount = n;
        } else if (twoLevel != null && layer.groupPages() > 0) {
            candidateCount = twoLevel.score(layer, q, n, tokenCount, layout.pageTokens(), budgetTokens, scores);
            selectedCount = selection.select(scores, n, tokenCount, layout.pageTokens(), budgetTokens, selected);
        } else {
            kernel.scorePages(layer, q, scores);
            candidateCount = n;
            selectedCount = selection.select(scores, n, tokenCount, layout.pageTokens(), budgetTokens, selected);
        }
    }

    private void read(KvLayerView layer, float[] q, float[] out) {
        reader.read(layer, q, out, selected, selectedCount, tiers, mass);
    }

    /** Pages read by the last step. */
    public int selectedCount() {
        return selectedCount;
    }

    /**
     * The {@code i}-th page read by the last step; pages are in increasing order.
     *
     * @throws IndexOutOfBoundsException if {@code i} is not below {@link #selectedCount()}
     */
    public int selectedPage(int i) {
        Objects.checkIndex(i, selectedCount);
        return selected[i];
    }

    /**
     * The attention mass of the {@code i}-th page read by the last step: the sum over query heads of
     * the probability given to its tokens, in {@code [0, queryHeads]}; over all pages read the masses
     * add up to {@code queryHeads}.
     *
     * @throws IndexOutOfBoundsException if {@code i} is not below {@link #selectedCount()}
     */
    public float pageMass(int i) {
        Objects.checkIndex(i, selectedCount);
        return mass[i];
    }

    /**
     * The tier the {@code i}-th page was read from in the last step.
     *
     * @throws IndexOutOfBoundsException if {@code i} is not below {@link #selectedCount()}
     */
    public TierKind pageTier(int i) {
        Objects.checkIndex(i, selectedCount);
        return tiers[i] == 0 ? TierKind.FAST : TierKind.SLOW;
    }

    /** Pages the last step read from the fast tier. */
    public int fastLanePages() {
        return reader.fastCount();
    }

    /** Pages the last step read from the slow tier. */
    public int slowLanePages() {
        return reader.slowCount();
    }

    /** Nanoseconds the fast-tier lane of the last step took (0 if it read nothing). */
    public long fastLaneNanos() {
        return reader.fastNanos();
    }

    /** Nanoseconds the slow-tier lane of the last step took, throttle included (0 if it read nothing). */
    public long slowLaneNanos() {
        return reader.slowNanos();
    }

    /** Stops the slow-lane thread. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            reader.close();
        }
    }

    @Override
    public String toString() {
        return "SparseAttention[" + kernel.name() + ", budget "
                + (budgetTokens == PageSelection.ALL ? "all" : budgetTokens + " tokens")
                + (oversample > 0 ? ", two-level x" + oversample : "")
                + (parallelLanes ? ", parallel lanes" : ", sequential lanes") + "]";
    }
}
