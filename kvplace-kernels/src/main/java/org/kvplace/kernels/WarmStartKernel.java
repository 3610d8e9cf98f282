package org.kvplace.kernels;

import java.util.Objects;
import java.util.SplittableRandom;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.PageLayout;

/**
 * A decode kernel that answers with the scalar reference until the Vector API kernel has been
 * compiled, then with the Vector API kernel: a call {@link WarmUp#START_DELAY_NANOS} after the
 * first starts a trial on a daemon thread
 * ({@link WarmUp}) that runs both kernels on random pages of that call's layout and query size and
 * switches (one volatile write) once the vector kernel is no slower than the scalar one. Each call
 * runs wholly on one of the two, so its result is one of theirs, within the equivalence tolerances
 * of each other; which one a call gets depends on timing. Thread-safe.
 */
final class WarmStartKernel implements DecodeKernel {

    /** Pages of the synthetic layer: a block of the lanes' 8 pages, the last one partly filled. */
    private static final int TRIAL_PAGES = 8;
    /** Calls of each method per round of the trial. */
    private static final int CALLS_PER_ROUND = 8;
    /** Rounds before the times count: 6,400 calls of each method (C2 is due after 5,000). */
    private static final int MIN_ROUNDS = 800;

    private final DecodeKernel scalar;
    private final DecodeKernel vector;
    private final WarmUp.Delay delay;
    private volatile DecodeKernel active;

    WarmStartKernel(DecodeKernel scalar, DecodeKernel vector) {
        this(scalar, vector, WarmUp.START_DELAY_NANOS);
    }

    /** With the trial starting {@code delayNanos} after the first call ({@link WarmUp#START_DELAY_NANOS}). */
    WarmStartKernel(DecodeKernel scalar, DecodeKernel vector, long delayNanos) {
        this.scalar = Objects.requireNonNull(scalar, "scalar");
        this.vector = Objects.requireNonNull(vector, "vector");
        this.active = scalar;
        this.delay = new WarmUp.Delay(delayNanos);
    }

    /** Whether the trial has started. */
    boolean trialStarted() {
        return delay.started();
    }

    /** Whether calls go to the Vector API kernel now. */
    boolean switched() {
        return active == vector;
    }

    /** The kernel the next call goes to, starting the trial on a first call. */
    private DecodeKernel kernel(KvLayerView layer, float[] q) {
        DecodeKernel k = active;
        if (k == scalar && delay.start()) {
            startTrial(layer.layout(), q.length);
        }
        return k;
    }

    private void startTrial(PageLayout layout, int queryFloats) {
        int queryHeads = queryFloats / layout.headDim();
        WarmUp.start("kvplace-kernel-warm-up", MIN_ROUNDS, batch(scalar, layout, queryHeads), batch(vector, layout, queryHeads),
                () -> active = vector);
    }

    /** One round of the calls a decode step makes (dense, block-wise with page records, scoring). */
    private static WarmUp.Batch batch(DecodeKernel kernel, PageLayout layout, int queryHeads) {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] q = new float[queryHeads * layout.headDim()];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        float[] out = new float[q.length];
        float[] scores = new float[TRIAL_PAGES];
        int[] pages = new int[TRIAL_PAGES];
        for (int i = 0; i < TRIAL_PAGES; i++) {
            pages[i] = i;
        }
        AttentionState recorded = new AttentionState(queryHeads, layout.headDim(), TRIAL_PAGES);
        AttentionState plain = new AttentionState(queryHeads, layout.headDim(), 0);
        SyntheticLayer layer = new SyntheticLayer(layout, TRIAL_PAGES, 11);
        return () -> {
            float s = 0f;
            for (int c = 0; c < CALLS_PER_ROUND; c++) {
                int n = 1 + c % TRIAL_PAGES;
                layer.lastTokens(1 + (layer.lastTokens() + c) % layout.pageTokens()); // every fill of the newest page
                kernel.attend(layer, q, out, pages, TRIAL_PAGES - c % TRIAL_PAGES);
                recorded.reset();
                kernel.attendPages(layer, q, pages, TRIAL_PAGES - n, TRIAL_PAGES, recorded);
                plain.reset();
                kernel.attendPages(layer, q, pages, 0, n, plain);
                kernel.scorePages(layer, q, scores);
                s += out[0] + recorded.sum()[0] + plain.sum()[0] + scores[0];
            }
            return s;
        };
    }

    @Override
    public String name() {
        return vector.name();
    }

    @Override
    public void attend(KvLayerView layer, float[] q, float[] out, int[] pages, int pageCount) {
        kernel(layer, q).attend(layer, q, out, pages, pageCount);
    }

    @Override
    public void scorePages(KvLayerView layer, float[] q, float[] scores) {
        kernel(layer, q).scorePages(layer, q, scores);
    }

    @Override
    public void attendPages(KvLayerView layer, float[] q, int[] pages, int from, int to, AttentionState state) {
        kernel(layer, q).attendPages(layer, q, pages, from, to, state);
    }

    @Override
    public String toString() {
        return vector + " (scalar until it is compiled" + (switched() ? "; switched" : "") + ")";
    }
}
