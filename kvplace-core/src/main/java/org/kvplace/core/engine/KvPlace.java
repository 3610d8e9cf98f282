package org.kvplace.core.engine;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.kvplace.core.attention.PageSelection;
import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.cache.Sequence;
import org.kvplace.core.cache.TieredKvCache;
import org.kvplace.core.memory.TierKind;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.placement.PlacementPolicy;
import org.kvplace.core.placement.PlacementProtocol;
import org.kvplace.core.placement.Policies;

/**
 * The placement engine and the façade an inference engine talks to: it owns a
 * {@link TieredKvCache}, hands out {@link KvSequence}s (append, attend, end of step), runs a
 * {@link PlacementPolicy} per sequence through the {@link PlacementProtocol} the simulator uses,
 * and a migration worker thread that carries out the policies' moves while the sequences attend.
 *
 * <pre>{@code
 * try (KvPlace kv = KvPlace.builder()
 *         .cache(TieredKvCache.builder().shape(shape).fastTierPages(f).slowTierPages(s)
 *                 .slowTierBandwidthRatio(450.0 / 4900.0))
 *         .queryHeads(queryHeads)
 *         .budgetTokens(2048)             // sparse attention; PageSelection.ALL for dense
 *         .policy("reactive")
 *         .build();
 *      KvSequence seq = kv.newSequence()) {
 *     for (each token) {
 *         for (int l = 0; l < layers; l++) {
 *             seq.append(l, k, v);
 *             seq.attend(l, q, out);
 *         }
 *         seq.endStep();
 *     }
 * }
 * }</pre>
 *
 * <p><b>Sharing the fast tier.</b> Up to {@link Builder#maxSequences} sequences are live at once;
 * each policy plans within an equal share of the fast tier's pages, less one page per layer (at
 * most a quarter of the share) kept free for the sequence's next new pages (so a new page finds a
 * fast slot while migrations lag behind the plan). A closed sequence returns its pages and its share. No append fails because of
 * a migration: a new page whose chosen tier is full goes to the other one.
 *
 * <p><b>Migration budget.</b> Each {@link KvSequence#endStep()} grants the worker the bytes it may
 * move for that sequence before the next step ends (unused credit carries over one step): a fixed
 * {@link Builder#migrationBudgetBytes} or, by default, what the slow link can carry in the time the
 * last step left it idle (the step's time less the slow lane's reading time, at the slow tier's
 * bandwidth), at least one page; unlimited when the slow tier is not throttled. Promotions are
 * charged to the slow tier's read throttle, demotions to its write throttle.
 *
 * <p>Lifetime: {@link #close()} stops the worker (moves not yet carried out are dropped; a move in
 * progress completes or is not applied at all), closes every sequence and the cache. Thread-safe:
 * {@link #newSequence()} from any thread; each sequence on one thread at a time.
 */
public final class KvPlace implements AutoCloseable {

    /**
     * Bytes a sequence's fast lanes read before their measured rate models the fast tier
     * ({@link Builder#modelFastRateFromLanes}).
     */
    public static final long LANE_RATE_MIN_BYTES = 64L << 20;

    private final TieredKvCache cache;
    private final Supplier<PlacementPolicy> policies;
    private final int queryHeads;
    private final int budgetTokens;
    private final int oversample;
    private final int maxSequences;
    private final boolean parallelLanes;
    private final int attentionThreads;
    private final StepModel model;
    private final long policyCapacityBytes;
    private final Object lock = new Object();
    private volatile KvSequence[] live = new KvSequence[0];
    private EngineStats closedTotals = new EngineStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final MigrationWorker worker;
    private final boolean synchronous;
    private final StepClock stepClock = new StepClock();

    private KvPlace(Builder b, TieredKvCache cache) {
        this.cache = cache;
        this.queryHeads = b.queryHeads == 0 ? cache.shape().kvHeads() : b.queryHeads;
        if (queryHeads % cache.shape().kvHeads() != 0) {
            throw new IllegalArgumentException("queryHeads=" + queryHeads + " is not a multiple of kvHeads="
                    + cache.shape().kvHeads());
        }
        this.budgetTokens = b.budgetTokens;
        this.oversample = b.oversample;
        this.maxSequences = b.maxSequences;
        this.parallelLanes = b.parallelLanes;
        this.attentionThreads = b.attentionThreads;
        this.model = new StepModel(cache, b.migrationBudgetBytes, b.modelFastBytesPerSecond, b.modelFastRateFromLanes);
        long share = cache.capacityPages(TierKind.FAST) / maxSequences;
        long reserve = Math.min(cache.shape().layers(), share / 4);
        this.policyCapacityBytes = (share - reserve) * cache.layout().pageBytes();
        if (b.policies != null) {
            this.policies = b.policies;
        } else {
            String name = b.policyName;
            CostModel cost = Policies.WITH_COST_MODEL.contains(name)
                    ? model.costModel(cache, b.modelFastBytesPerSecond, policyCapacityBytes) : null;
            // an inclusive cache's lanes split the reads of a page held in both tiers, a promotion
            // after a slow read costs only the fast write, a demotion drops the fast copy
            boolean inclusive = cache.inclusive();
            this.policies = () -> Policies.byName(name, cost, inclusive);
        }
        this.synchronous = b.synchronousMigration;
        this.worker = new MigrationWorker(() -> live);
        if (!synchronous) {
            worker.start();
        }
    }

    /** A builder; {@link Builder#cache} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The tiered cache this engine owns. */
    public TieredKvCache cache() {
        return cache;
    }

    /** Query heads of the model (attention's query length is {@code queryHeads * headDim}). */
    public int queryHeads() {
        return queryHeads;
    }

    /** Fast-tier bytes each sequence's policy plans within. */
    public long fastShareBytes() {
        return policyCapacityBytes;
    }

    /**
     * A new sequence with a new policy instance.
     *
     * @throws IllegalStateException if {@link Builder#maxSequences} sequences are live, or the engine is closed
     */
    public KvSequence newSequence() {
        synchronized (lock) {
            ensureOpen();
            if (live.length >= maxSequences) {
                throw new IllegalStateException(live.length + " sequences are live, the most this engine shares its"
                        + " fast tier between (maxSequences=" + maxSequences + "); close one first");
            }
            PlacementPolicy policy = Objects.requireNonNull(policies.get(), "the policy supplier returned null");
            if (policy.lookahead() > 0) {
                throw new IllegalArgumentException("policy " + policy.name() + " reads " + policy.lookahead()
                        + " steps ahead; the live engine has no future knowledge (use an online policy)");
            }
            PlacementProtocol protocol = new PlacementProtocol(policy, cache.shape().layers(), cache.pagesPerLayer(),
                    cache.layout().pageBytes(), policyCapacityBytes, false);
            SparseAttention attention = SparseAttention.builder(cache.kernel(), queryHeads, cache.shape().headDim(),
                    cache.pagesPerLayer()).budgetTokens(budgetTokens).parallelLanes(parallelLanes)
                    .oversample(oversample).threads(attentionThreads).build();
            Sequence seq = cache.newSequence();
            KvSequence s = new KvSequence(this, seq, attention, protocol);
            KvSequence[] next = Arrays.copyOf(live, live.length + 1);
            next[live.length] = s;
            live = next;
            return s;
        }
    }

    /** Totals of every sequence, live and closed. */
    public EngineStats stats() {
        synchronized (lock) {
            EngineStats t = closedTotals;
            for (KvSequence s : live) {
                t = t.plus(s.stats());
            }
            return t;
        }
    }

    /** Percentiles of the measured step times of every sequence so far, live and closed. */
    public StepTimes stepTimes() {
        return stepClock.times();
    }

    /** Records one step's measured time (any decode thread; wait-free, no allocation). */
    void recordStep(long nanos) {
        stepClock.record(nanos);
    }

    /** Sequences live now. */
    public int liveSequences() {
        return live.length;
    }

    void closed(KvSequence s) {
        synchronized (lock) {
            KvSequence[] cur = live;
            for (int i = 0; i < cur.length; i++) {
                if (cur[i] == s) {
                    KvSequence[] next = new KvSequence[cur.length - 1];
                    System.arraycopy(cur, 0, next, 0, i);
                    System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                    live = next;
                    closedTotals = closedTotals.plus(s.stats());
                    return;
                }
            }
        }
    }

    /** The step arithmetic: migration budget and modelled times. */
    StepModel model() {
        return model;
    }

    /** The migration worker thread (for tests). */
    Thread worker() {
        return worker.thread();
    }

    /** Whether {@code endStep} carries out the moves itself (no worker thread). */
    boolean synchronous() {
        return synchronous;
    }

    void wakeWorker() {
        worker.wake();
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the placement engine is closed");
        }
    }

    /**
     * Stops the migration worker, closes every live sequence and the cache. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean interrupted = worker.stop();
        KvSequence[] cur;
        synchronized (lock) {
            cur = live;
        }
        for (KvSequence s : cur) {
            s.closeForEngine();
        }
        cache.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "KvPlace[" + cache + ", budgetTokens=" + (budgetTokens == PageSelection.ALL ? "all" : budgetTokens)
                + ", maxSequences=" + maxSequences + ", live=" + live.length + "]";
    }

    /** Configures a {@link KvPlace}. */
    public static final class Builder {
        private TieredKvCache.Builder cache;
        private Supplier<PlacementPolicy> policies;
        private String policyName = "static";
        private int queryHeads;
        private int budgetTokens = PageSelection.ALL;
        private int oversample = SparseAttention.DEFAULT_OVERSAMPLE;
        private int maxSequences = 1;
        private boolean parallelLanes = true;
        private int attentionThreads = 1;
        private boolean synchronousMigration;
        private long migrationBudgetBytes;
        private double modelFastBytesPerSecond;
        private boolean modelFastRateFromLanes;

        private Builder() {}

        /** The tiered cache to build and own (required). */
        public Builder cache(TieredKvCache.Builder cache) {
            this.cache = Objects.requireNonNull(cache, "cache");
            return this;
        }

        /**
         * The policy by name, one of {@link Policies#ONLINE} (a new instance per sequence); default
         * {@code static}. Only online policies (no lookahead) can run live. A policy that needs a cost
         * model ({@code balance}) gets one calibrated on this engine: the fast tier's rate from
         * {@link #modelFastBytesPerSecond} (else this machine's measured copy bandwidth), the slow
         * tier's from its throttle, the fast capacity of one sequence's share, no weights; on an
         * {@linkplain TieredKvCache#inclusive() inclusive} cache, priced as the paper's inclusive
         * model ({@link org.kvplace.core.model.PaperCostModel}) prices moves.
         *
         * @throws IllegalArgumentException for an unknown name, naming it, or a policy that needs lookahead
         */
        public Builder policy(String name) {
            Objects.requireNonNull(name, "policy name");
            String n = name.toLowerCase(java.util.Locale.ROOT);
            if (!Policies.ONLINE.contains(n)) {
                // Fails here, naming it, for an unknown name; else it is a lookahead policy.
                PlacementPolicy sample = Policies.byName(name);
                throw new IllegalArgumentException("policy " + name + " reads " + sample.lookahead()
                        + " steps ahead; the live engine has no future knowledge (use one of " + Policies.ONLINE + ")");
            }
            this.policyName = n;
            this.policies = null;
            return this;
        }

        /** The policy: a supplier of a new instance per sequence. */
        public Builder policy(Supplier<PlacementPolicy> policies) {
            this.policies = Objects.requireNonNull(policies, "policies");
            this.policyName = null;
            return this;
        }

        /** Query heads of the model (a multiple of the KV heads); default: as many as KV heads. */
        public Builder queryHeads(int queryHeads) {
            if (queryHeads <= 0) {
                throw new IllegalArgumentException("queryHeads must be positive, got " + queryHeads);
            }
            this.queryHeads = queryHeads;
            return this;
        }

        /** Tokens attention reads per step at most (sparse), or {@link PageSelection#ALL} (dense, the default). */
        public Builder budgetTokens(int budgetTokens) {
            if (budgetTokens <= 0) {
                throw new IllegalArgumentException("budgetTokens must be positive, got " + budgetTokens);
            }
            this.budgetTokens = budgetTokens;
            return this;
        }

        /** Two-level selection's oversampling ({@link SparseAttention}), 0 for flat selection. */
        public Builder oversample(int oversample) {
            if (oversample < 0) {
                throw new IllegalArgumentException("oversample must be >= 0, got " + oversample);
            }
            this.oversample = oversample;
            return this;
        }

        /**
         * Whether each attend reads the slow tier's pages on a thread of its own while the calling
         * thread reads the fast tier's (default true: worth it when the slow tier is throttled).
         */
        public Builder parallelLanes(boolean parallelLanes) {
            this.parallelLanes = parallelLanes;
            return this;
        }

        /**
         * Threads that read each attend's pages, {@code 1} (default) or {@code 2}: with two, the lane
         * thread also reads fast-tier pages the calling thread has not reached, so attention over
         * fast pages runs on two cores (the result is the same bits; see
         * {@link SparseAttention.Builder#threads}).
         *
         * @throws IllegalArgumentException if {@code threads} is not 1 or 2
         */
        public Builder attentionThreads(int threads) {
            if (threads < 1 || threads > 2) {
                throw new IllegalArgumentException("attention threads must be 1 or 2, got " + threads);
            }
            this.attentionThreads = threads;
            return this;
        }

        /**
         * Carries out each step's moves in {@link KvSequence#endStep()}, on the decode thread, within
         * the step's budget, instead of on the migration worker while the next step attends (default
         * false). Slower, but every run with the same inputs moves the same pages at the same steps:
         * for tests and for comparing the engine with the simulator move by move.
         */
        public Builder synchronousMigration(boolean synchronous) {
            this.synchronousMigration = synchronous;
            return this;
        }

        /** Sequences live at once, sharing the fast tier equally (default 1). */
        public Builder maxSequences(int maxSequences) {
            if (maxSequences <= 0) {
                throw new IllegalArgumentException("maxSequences must be positive, got " + maxSequences);
            }
            this.maxSequences = maxSequences;
            return this;
        }

        /**
         * Bytes the migration worker may move per sequence and step; default: derived from the slow
         * link's idle time (see {@link KvPlace}).
         */
        public Builder migrationBudgetBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("migration budget must be positive, got " + bytes + " bytes");
            }
            this.migrationBudgetBytes = bytes;
            return this;
        }

        /**
         * Calibrates the cost model that each step's modelled time comes from: the fast tier's read
         * rate on this machine (for example {@link EngineStats#fastReadBytesPerSecond()} of an
         * earlier run); the slow tier's rate is its throttle's. Without it modelled times are 0.
         */
        public Builder modelFastBytesPerSecond(double bytesPerSecond) {
            if (!(bytesPerSecond > 0) || !Double.isFinite(bytesPerSecond)) {
                throw new IllegalArgumentException("fast read rate must be positive and finite, got "
                        + bytesPerSecond + " bytes/s");
            }
            this.modelFastBytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * Models the fast tier of each sequence's steps at the read rate its own fast lanes have
         * measured so far (the bytes they read over the time they took), once they have read
         * {@link #LANE_RATE_MIN_BYTES}; the steps before that, and the policies' cost model, use
         * {@link #modelFastBytesPerSecond}, which this needs. Default off (the calibrated rate
         * throughout). For emulated tiers, where both tiers are this machine's memory: the fast
         * lane then shares the caches and the memory bus with the slow lane and reads slower than
         * in a run with every page in the fast tier, so a rate calibrated on such a run overstates
         * it. A step is modelled with the rate measured before it, never with its own.
         */
        public Builder modelFastRateFromLanes(boolean on) {
            this.modelFastRateFromLanes = on;
            return this;
        }

        /**
         * Builds the cache and starts the engine.
         *
         * @throws IllegalStateException if no cache was configured, or lane rates were asked for
         *     without a calibrated fast rate
         * @throws IllegalArgumentException if queryHeads is not a multiple of the KV heads
         */
        public KvPlace build() {
            if (cache == null) {
                throw new IllegalStateException("KvPlace.builder() needs cache(TieredKvCache.builder()...)");
            }
            if (modelFastRateFromLanes && modelFastBytesPerSecond == 0) {
                throw new IllegalStateException("modelFastRateFromLanes(true) needs modelFastBytesPerSecond(rate) for"
                        + " the steps before the lanes have read " + LANE_RATE_MIN_BYTES + " bytes");
            }
            TieredKvCache c = cache.build();
            try {
                return new KvPlace(this, c);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
        }
    }
}
