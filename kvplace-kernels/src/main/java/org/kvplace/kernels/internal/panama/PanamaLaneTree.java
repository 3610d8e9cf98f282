package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * Masks and shuffles of the transposing sum tree that turns {@code 2^m} vectors of products into
 * one vector of sums, lane groups of {@code 2^m} lanes summed per token.
 *
 * <p>One step on lane bit {@code k} joins two vectors {@code a} and {@code b}:
 * {@code a.blend(b, BITk) + b.blend(a, BITk).rearrange(SWAPk)}. A lane with bit {@code k} clear gets
 * {@code a[i] + a[i ^ 2^k]}, a lane with it set {@code b[i] + b[i ^ 2^k]}: each step halves the
 * vectors and sums pairs of lanes, and no lane ever meets a lane of another token. After steps on
 * bits {@code 0 .. m-1} over vectors {@code p_0 .. p_{2^m - 1}} (joined in order), lane {@code i}
 * holds the sum of the lane group {@code i >> m} of vector {@code p_{i & (2^m - 1)}}; the
 * {@code ORDER} shuffles put those sums in token order when vector {@code j} holds tokens
 * {@code j * LANES/2^m ..}. Four vector operations per joined pair against a horizontal
 * reduction (about {@code 2 log2 LANES}) per token.
 */
final class PanamaLaneTree {

    /** Lanes whose index has bit 0 set. */
    static final VectorMask<Float> BIT0 = bit(1);
    /** Lanes whose index has bit 1 set. */
    static final VectorMask<Float> BIT1 = bit(2);
    /** Lanes whose index has bit 2 set. */
    static final VectorMask<Float> BIT2 = bit(4);
    /** Lanes whose index has bit 3 set. */
    static final VectorMask<Float> BIT3 = bit(8);
    /** Lane {@code i} takes lane {@code i ^ 1}. */
    static final VectorShuffle<Float> SWAP1 = swap(1);
    /** Lane {@code i} takes lane {@code i ^ 2}. */
    static final VectorShuffle<Float> SWAP2 = swap(2);
    /** Lane {@code i} takes lane {@code i ^ 4}. */
    static final VectorShuffle<Float> SWAP4 = swap(4);
    /** Lane {@code i} takes lane {@code i ^ 8}. */
    static final VectorShuffle<Float> SWAP8 = swap(8);
    /** Token order after a tree of eight vectors holding {@code LANES / 8} tokens each. */
    static final VectorShuffle<Float> ORDER8 = order(8);
    /** Token order after a tree of four vectors holding {@code LANES / 4} tokens each. */
    static final VectorShuffle<Float> ORDER4 = order(4);

    private PanamaLaneTree() {}

    private static VectorMask<Float> bit(int bit) {
        boolean[] set = new boolean[LANES];
        for (int i = 0; i < LANES; i++) {
            set[i] = (i & bit) != 0;
        }
        return VectorMask.fromArray(F, set, 0);
    }

    private static VectorShuffle<Float> swap(int bit) {
        return VectorShuffle.fromOp(F, i -> (i ^ bit) < LANES ? i ^ bit : i);
    }

    /** Lane {@code t} takes lane {@code (t % perVector) * vectors + t / perVector}. */
    private static VectorShuffle<Float> order(int vectors) {
        int perVector = Math.max(1, LANES / vectors);
        return VectorShuffle.fromOp(F, t -> Math.min(LANES - 1, (t % perVector) * vectors + t / perVector));
    }
}
