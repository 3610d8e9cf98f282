package org.kvplace.core.kernel;

import java.util.Arrays;
import java.util.Objects;

/**
 * A partial softmax state of decode attention over some of a layer's pages, per query head: the
 * running maximum score {@code m}, the sum {@code s} of {@code exp(score - m)} and the weighted sum
 * of values {@code acc = sum exp(score - m) * v}. Two states over disjoint page sets merge by
 * log-sum-exp ({@link #merge}) into the state over their union, so the fast-tier and slow-tier lanes
 * of a step can run independently and still give the result of one pass.
 *
 * <p>A state also records, per page it read and per query head, a reference score {@code r} and the
 * page's sum {@code p = sum over the page's tokens of exp(score - r)}: enough to give each page's
 * attention mass once the final maximum and sum are known ({@link #pageMass}). Page records are
 * indexed by the page's position in the {@code pages} array passed to
 * {@link DecodeKernel#attendPages}; a state built with {@code maxPages == 0} records none.
 *
 * <p>The arrays are exposed to {@link DecodeKernel} implementations, which update them in place.
 * Ownership: a state belongs to one caller; it is not thread-safe. It allocates only in its
 * constructor.
 */
public final class AttentionState {

    private final int queryHeads;
    private final int headDim;
    private final int maxPages;
    private final float[] max;
    private final float[] sum;
    private final float[] acc;
    private final float[] pageRef;
    private final float[] pageSum;

    /**
     * An empty state.
     *
     * @param queryHeads query heads, positive
     * @param headDim elements per head vector, positive
     * @param maxPages page records it can hold, {@code >= 0}
     * @throws IllegalArgumentException if a size is out of range
     */
    public AttentionState(int queryHeads, int headDim, int maxPages) {
        if (queryHeads <= 0 || headDim <= 0 || maxPages < 0) {
            throw new IllegalArgumentException("queryHeads and headDim must be positive and maxPages >= 0, got queryHeads="
                    + queryHeads + " headDim=" + headDim + " maxPages=" + maxPages);
        }
        this.queryHeads = queryHeads;
        this.headDim = headDim;
        this.maxPages = maxPages;
        this.max = new float[queryHeads];
        this.sum = new float[queryHeads];
        this.acc = new float[Math.multiplyExact(queryHeads, headDim)];
        this.pageRef = new float[Math.multiplyExact(maxPages, queryHeads)];
        this.pageSum = new float[pageRef.length];
        reset();
    }

    /** Query heads. */
    public int queryHeads() {
        return queryHeads;
    }

    /** Elements per head vector. */
    public int headDim() {
        return headDim;
    }

    /** Page records this state can hold; {@code 0} means it records none. */
    public int maxPages() {
        return maxPages;
    }

    /** Empties the state: maximum {@code -inf}, sums and accumulators zero. */
    public void reset() {
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(sum, 0f);
        Arrays.fill(acc, 0f);
    }

    /** Running maximum score per query head (scores include the {@code 1/sqrt(headDim)} scale). */
    public float[] max() {
        return max;
    }

    /** Sum of {@code exp(score - max)} per query head. */
    public float[] sum() {
        return sum;
    }

    /** Weighted value sums relative to {@link #max()}, {@code queryHeads * headDim}, head after head. */
    public float[] acc() {
        return acc;
    }

    /** Page reference scores, {@code [position * queryHeads + head]}. */
    public float[] pageRef() {
        return pageRef;
    }

    /** Page sums of {@code exp(score - pageRef)}, {@code [position * queryHeads + head]}. */
    public float[] pageSum() {
        return pageSum;
    }

    /** Whether this state read no token yet (every head's maximum is {@code -inf}). */
    public boolean isEmpty() {
        return max[0] == Float.NEGATIVE_INFINITY;
    }

    /**
     * Merges {@code other} (a state over pages disjoint from this one's) into this state by
     * log-sum-exp; page records are not moved. {@code other} is unchanged. Pure float arithmetic:
     * the same states merged in the same order give the same bits on every thread and JIT tier.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public void merge(AttentionState other) {
        if (other.queryHeads != queryHeads || other.headDim != headDim) {
            throw new IllegalArgumentException("cannot merge a state of " + other.queryHeads + "x" + other.headDim
                    + " into one of " + queryHeads + "x" + headDim);
        }
        for (int h = 0; h < queryHeads; h++) {
            float mb = other.max[h];
            if (mb == Float.NEGATIVE_INFINITY) {
                continue;
            }
            float ma = max[h];
            int base = h * headDim;
            // The side with the larger maximum keeps its scale (a factor of exactly 1), so one exp per
            // head; the result is the same, bit for bit, as scaling both sides.
            if (mb <= ma) {
                float cb = expNonPositive(mb - ma);
                sum[h] = sum[h] + other.sum[h] * cb;
                for (int d = 0; d < headDim; d++) {
                    acc[base + d] = acc[base + d] + other.acc[base + d] * cb;
                }
            } else {
                float ca = expNonPositive(ma - mb); // 0 when this state is empty (ma is -inf)
                sum[h] = sum[h] * ca + other.sum[h];
                for (int d = 0; d < headDim; d++) {
                    acc[base + d] = acc[base + d] * ca + other.acc[base + d];
                }
                max[h] = mb;
            }
        }
    }

    private static final float LN2_HI = 0.693145751953125f; // ln 2 in its upper 16 bits: n * LN2_HI is exact
    private static final float LN2_LO = 1.4286068203094172321e-06f;
    private static final float LOG2_E = 1.44269504088896341f;

    /**
     * {@code exp(x)} for {@code x <= 0} in float arithmetic, within 2 ulp of {@link Math#exp} (0 below
     * {@code -87.3}, where the result would be subnormal; 0 for negative infinity). Pure float
     * operations and {@link Math#fma}, so every thread and every JIT tier computes the same bits;
     * several times cheaper than {@link Math#exp}; {@link #merge} calls it once per head.
     */
    static float expNonPositive(float x) {
        if (!(x >= -87.33654f)) {
            return 0f;
        }
        int n = Math.round(x * LOG2_E);
        float r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x)); // |r| <= ln(2)/2 (plus rounding)
        float p = Math.fma(r, 1f / 5040, 1f / 720);
        p = Math.fma(r, p, 1f / 120);
        p = Math.fma(r, p, 1f / 24);
        p = Math.fma(r, p, 1f / 6);
        p = Math.fma(r, p, 0.5f);
        p = Math.fma(r, p, 1f);
        p = Math.fma(r, p, 1f);
        return p * Float.intBitsToFloat((n + 127) << 23);
    }

    /**
     * Writes the attention output {@code acc / sum} for every head into {@code out}.
     *
     * @param out {@code queryHeads * headDim} floats
     * @throws IllegalArgumentException if {@code out} has the wrong length
     * @throws IllegalStateException if the state is empty
     */
    public void finish(float[] out) {
        if (out.length != acc.length) {
            throw new IllegalArgumentException("out length " + out.length + " != queryHeads*headDim=" + acc.length);
        }
        if (isEmpty()) {
            throw new IllegalStateException("no token was attended");
        }
        for (int h = 0; h < queryHeads; h++) {
            float inv = 1f / sum[h];
            int base = h * headDim;
            for (int d = 0; d < headDim; d++) {
                out[base + d] = acc[base + d] * inv;
            }
        }
    }

    /**
     * Writes the attention mass of the pages recorded at positions {@code 0 .. count-1} (see
     * {@link #pageMass}) to {@code dst[dstIndex[i]]}. Faster than calling {@link #pageMass} per page:
     * pages that share a reference score (most of them, since the running maximum rarely changes)
     * share one {@code exp} per head.
     *
     * @throws IndexOutOfBoundsException if {@code count} exceeds {@link #maxPages()} or an index is out
     *     of range of {@code dst}
     */
    public void pageMasses(int count, AttentionState total, float[] dst, int[] dstIndex) {
        Objects.checkFromIndexSize(0, count, maxPages);
        for (int i = 0; i < count; i++) {
            dst[dstIndex[i]] = 0f;
        }
        for (int h = 0; h < queryHeads; h++) {
            float lastRef = Float.NaN;
            float factor = 0f;
            float m = total.max[h];
            float s = total.sum[h];
            for (int i = 0; i < count; i++) {
                float ref = pageRef[i * queryHeads + h];
                if (ref != lastRef) { // NaN never equals: the first page computes its factor
                    factor = (float) Math.exp(ref - m) / s;
                    lastRef = ref;
                }
                dst[dstIndex[i]] += pageSum[i * queryHeads + h] * factor;
            }
        }
    }

    /**
     * The attention mass of the page recorded at {@code position}: the sum over query heads of the
     * probability the heads gave to its tokens, in {@code [0, queryHeads]}, relative to the final
     * state {@code total} (this state itself, or the merge of all lanes).
     *
     * @throws IndexOutOfBoundsException if {@code position} is not below {@link #maxPages()}
     */
    public float pageMass(int position, AttentionState total) {
        if (position < 0 || position >= maxPages) {
            throw new IndexOutOfBoundsException("position " + position + " out of range [0, " + maxPages + ")");
        }
        float mass = 0f;
        int base = position * queryHeads;
        for (int h = 0; h < queryHeads; h++) {
            mass += pageSum[base + h] * (float) Math.exp(pageRef[base + h] - total.max[h]) / total.sum[h];
        }
        return mass;
    }
}
