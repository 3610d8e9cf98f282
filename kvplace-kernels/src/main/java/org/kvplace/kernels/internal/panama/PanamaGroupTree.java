package org.kvplace.kernels.internal.panama;

import static org.kvplace.kernels.internal.panama.PanamaConstants.F;
import static org.kvplace.kernels.internal.panama.PanamaConstants.LANES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * One page of one KV head for a group of four or eight query heads at 512 bits, with the scores
 * stored token by token: a vector holds the scores of {@code 16 / group} tokens for all the group's
 * heads (lane {@code j}: token {@code j / group}, head {@code j % group}).
 *
 * <p>Scores: for each such vector the sixteen (token, head) dot products are kept as sixteen vectors
 * of partial sums; each key chunk is loaded once for the group and each query chunk once for the
 * vector's tokens; the transposing tree of {@link PanamaLaneTree} (steps on lane bits 0, 1, 2, 3,
 * in that order) sums them into one vector whose lane {@code j} is product {@code j}. Against a
 * horizontal reduction per (token, head) this costs about a quarter of the shuffles.
 *
 * <p>Softmax: the running maximum and sum of each head are kept lane by lane (lane {@code j} holds
 * head {@code j % group}'s maximum; its sum is spread over the lanes of that head and added up when
 * the call ends), so a page's maximum, its numerators and their sums are all vector operations; the
 * value accumulators are rescaled only for heads whose maximum grew. Values: the weighted rows of
 * four heads at a time ({@link PanamaRowSums#weightedSum4Heads}, weights strided by the group).
 *
 * <p>Tokens past the page's last one repeat its last row (every load stays inside the rows
 * written) and get a score of {@code -infinity}, so they weigh nothing.
 */
final class PanamaGroupTree {

    // No helper here takes or returns a vector (see PanamaDots).
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final float[] IOTA = iota();
    private static final VectorShuffle<Float> IDENTITY = VectorShuffle.iota(F, 0, 1, false);

    // The arithmetic exp of PanamaSoftmax, written out here: the softmax through a shared
    // array-based exp method (called twice) was as fast, but its larger inlined body made C2 stop
    // inlining (NodeCountInliningCutoff) inside the attention call and warm steps allocated boxed
    // vectors (AllocationTest). Together with no branch on the group while vectors are live (see
    // softmax), the written-out form allocated nothing in every run.
    private static final float LOG2_E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float EXP_MIN = -87.33654f;
    private static final float EXP_MAX = 88.37626f;

    private PanamaGroupTree() {}

    private static float[] iota() {
        float[] a = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Whether a group of {@code group} query heads over rows of {@code headDim} floats takes this path. */
    static boolean supports(int headDim, int group) {
        return LANES == 16 && headDim >= LANES && headDim % LANES == 0 && (group == 4 || group == 8);
    }

    /** Floats of {@code w} one page of {@code tokens} tokens needs. */
    static int weights(int tokens, int group) {
        return (tokens * group + LANES - 1) / LANES * LANES;
    }

    /**
     * Loads the running maxima and sums of heads {@code h0 .. h0+group-1} into the lane form at
     * {@code rep[repOff ..]} (16 maxima, then 16 sums).
     */
    static void load(float[] max, float[] sum, int h0, int group, float[] rep, int repOff) {
        for (int j = 0; j < LANES; j++) {
            rep[repOff + j] = max[h0 + j % group];
            rep[repOff + LANES + j] = j < group ? sum[h0 + j] : 0f;
        }
    }

    /** Writes the lane form at {@code rep[repOff ..]} back as the maxima and sums of the heads. */
    static void store(float[] rep, int repOff, int h0, int group, float[] max, float[] sum) {
        for (int h = 0; h < group; h++) {
            max[h0 + h] = rep[repOff + h];
            float s = 0f;
            for (int j = h; j < LANES; j += group) {
                s += rep[repOff + LANES + j];
            }
            sum[h0 + h] = s;
        }
    }

    /**
     * Folds one page of one KV head into heads {@code h0 .. h0+group-1}: {@code acc} is the state's
     * accumulator, {@code rep[repOff ..]} the heads' maxima and sums in lane form ({@link #load});
     * with {@code recordBase >= 0} the page's reference score and sum per head go to
     * {@code pageRef[recordBase + h]} and {@code pageSum[recordBase + h]}. {@code w} holds at least
     * {@link #weights} floats, {@code tmp} at least {@code 2 * LANES}.
     */
    static void attend(float[] q, int h0, int group, int headDim, float scale, MemorySegment kSeg, long kOff,
            MemorySegment vSeg, long vOff, long rowBytes, int tokens, float[] w, float[] acc, float[] rep, int repOff,
            float[] pageRef, float[] pageSum, int recordBase, float[] tmp) {
        if (group == 8) {
            scores8(q, h0 * headDim, headDim, kSeg, kOff, rowBytes, tokens, w, scale);
        } else {
            scores4(q, h0 * headDim, headDim, kSeg, kOff, rowBytes, tokens, w, scale);
        }
        int n = weights(tokens, group);
        if (softmax(w, n, group, rep, repOff, tmp)) {
            for (int h = 0; h < group; h++) {
                float c = tmp[h];
                if (c != 1f) {
                    PanamaSoftmax.scale(acc, (h0 + h) * headDim, headDim, c);
                }
            }
        }
        if (recordBase >= 0) {
            for (int h = 0; h < group; h++) {
                float s = 0f;
                for (int j = h; j < LANES; j += group) {
                    s += tmp[LANES + j];
                }
                pageRef[recordBase + h0 + h] = rep[repOff + h];
                pageSum[recordBase + h0 + h] = s;
            }
        }
        for (int g = 0; g < group; g += 4) {
            PanamaRowSums.weightedSum4Heads(acc, (h0 + g) * headDim, headDim, w, g, 1, group, tokens, vSeg, vOff,
                    rowBytes);
        }
    }

    /**
     * The page's softmax step in lane form over its {@code n} scores at {@code w[0 ..]}: updates the
     * maxima, replaces the scores by {@code exp(score - max)}, adds their lane sums to the sums and
     * writes them to {@code tmp[LANES ..]}. Returns whether a maximum grew; then {@code tmp[0 ..]}
     * holds each lane's rescaling factor, by which the sums were already multiplied.
     */
    private static boolean softmax(float[] w, int n, int group, float[] rep, int repOff, float[] tmp) {
        VectorShuffle<Float> fold = group == 4 ? PanamaLaneTree.SWAP4 : IDENTITY;
        FloatVector m = FloatVector.fromArray(F, rep, repOff);
        FloatVector pm = FloatVector.fromArray(F, w, 0);
        for (int i = LANES; i < n; i += LANES) {
            pm = pm.max(FloatVector.fromArray(F, w, i));
        }
        // Fold the lanes of a head over the vector's tokens (lane bits 2 and 3 for groups of 4, bit 3
        // for 8). No branch on the group while vectors are live: a branch the profile never saw
        // taken becomes an uncommon trap whose state holds the vectors, and C2 then boxed them on
        // every call (AllocationTest); the first fold is an identity for groups of 8.
        pm = pm.max(pm.rearrange(fold));
        pm = pm.max(pm.rearrange(PanamaLaneTree.SWAP8));
        FloatVector mNew = m.max(pm);
        FloatVector s = FloatVector.fromArray(F, rep, repOff + LANES);
        boolean grew = mNew.compare(VectorOperators.GT, m).anyTrue();
        if (grew) {
            FloatVector x = m.sub(mNew);
            FloatVector clamped = x.max(EXP_MIN).min(EXP_MAX);
            FloatVector t = clamped.fma(LOG2_E, ROUND);
            FloatVector k = t.sub(ROUND);
            FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), clamped);
            r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = r.fma(1f / 5040, 1f / 720);
            p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
            p = p.fma(r, FloatVector.broadcast(F, 0.5f));
            p = p.fma(r, FloatVector.broadcast(F, 1f));
            p = p.fma(r, FloatVector.broadcast(F, 1f));
            IntVector exponent = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
            FloatVector c = p.mul(exponent.reinterpretAsFloats()).blend(0f, x.lt(EXP_MIN));
            // Lanes whose maximum did not grow keep exactly 1 (x = 0 gives 1 up to rounding).
            c = c.blend(1f, mNew.compare(VectorOperators.EQ, m));
            c.intoArray(tmp, 0);
            s = s.mul(c);
            mNew.intoArray(rep, repOff);
        }
        FloatVector sum = FloatVector.zero(F);
        for (int i = 0; i < n; i += LANES) {
            FloatVector x = FloatVector.fromArray(F, w, i).sub(mNew);
            FloatVector clamped = x.max(EXP_MIN).min(EXP_MAX);
            FloatVector t = clamped.fma(LOG2_E, ROUND);
            FloatVector k = t.sub(ROUND);
            FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), clamped);
            r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = r.fma(1f / 5040, 1f / 720);
            p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
            p = p.fma(r, FloatVector.broadcast(F, 0.5f));
            p = p.fma(r, FloatVector.broadcast(F, 1f));
            p = p.fma(r, FloatVector.broadcast(F, 1f));
            IntVector exponent = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = p.mul(exponent.reinterpretAsFloats()).blend(0f, x.lt(EXP_MIN));
            e.intoArray(w, i);
            sum = sum.add(e);
        }
        sum.intoArray(tmp, LANES);
        s.add(sum).intoArray(rep, repOff + LANES);
        return grew;
    }

    /** Eight heads, two tokens per vector: lanes 0-7 the first token's heads, 8-15 the second's. */
    private static void scores8(float[] q, int qOff, int n, MemorySegment seg, long off, long rowBytes, int tokens,
            float[] w, float scale) {
        int last = tokens - 1;
        FloatVector iota = FloatVector.fromArray(F, IOTA, 0);
        for (int t0 = 0, v = 0; t0 < tokens; t0 += 2, v += LANES) {
            long oA = off + t0 * rowBytes;
            long oB = off + Math.min(t0 + 1, last) * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector a4 = FloatVector.zero(F);
            FloatVector a5 = FloatVector.zero(F);
            FloatVector a6 = FloatVector.zero(F);
            FloatVector a7 = FloatVector.zero(F);
            FloatVector a8 = FloatVector.zero(F);
            FloatVector a9 = FloatVector.zero(F);
            FloatVector a10 = FloatVector.zero(F);
            FloatVector a11 = FloatVector.zero(F);
            FloatVector a12 = FloatVector.zero(F);
            FloatVector a13 = FloatVector.zero(F);
            FloatVector a14 = FloatVector.zero(F);
            FloatVector a15 = FloatVector.zero(F);
            for (int d = 0; d < n; d += LANES) {
                long e = (long) d * Float.BYTES;
                FloatVector kA = FloatVector.fromMemorySegment(F, seg, oA + e, NATIVE);
                FloatVector kB = FloatVector.fromMemorySegment(F, seg, oB + e, NATIVE);
                FloatVector q0 = FloatVector.fromArray(F, q, qOff + d);
                FloatVector q1 = FloatVector.fromArray(F, q, qOff + n + d);
                FloatVector q2 = FloatVector.fromArray(F, q, qOff + 2 * n + d);
                FloatVector q3 = FloatVector.fromArray(F, q, qOff + 3 * n + d);
                a0 = q0.fma(kA, a0);
                a8 = q0.fma(kB, a8);
                a1 = q1.fma(kA, a1);
                a9 = q1.fma(kB, a9);
                a2 = q2.fma(kA, a2);
                a10 = q2.fma(kB, a10);
                a3 = q3.fma(kA, a3);
                a11 = q3.fma(kB, a11);
                FloatVector q4 = FloatVector.fromArray(F, q, qOff + 4 * n + d);
                FloatVector q5 = FloatVector.fromArray(F, q, qOff + 5 * n + d);
                FloatVector q6 = FloatVector.fromArray(F, q, qOff + 6 * n + d);
                FloatVector q7 = FloatVector.fromArray(F, q, qOff + 7 * n + d);
                a4 = q4.fma(kA, a4);
                a12 = q4.fma(kB, a12);
                a5 = q5.fma(kA, a5);
                a13 = q5.fma(kB, a13);
                a6 = q6.fma(kA, a6);
                a14 = q6.fma(kB, a14);
                a7 = q7.fma(kA, a7);
                a15 = q7.fma(kB, a15);
            }
            FloatVector b0 = a0.blend(a1, PanamaLaneTree.BIT0)
                    .add(a1.blend(a0, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b1 = a2.blend(a3, PanamaLaneTree.BIT0)
                    .add(a3.blend(a2, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b2 = a4.blend(a5, PanamaLaneTree.BIT0)
                    .add(a5.blend(a4, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b3 = a6.blend(a7, PanamaLaneTree.BIT0)
                    .add(a7.blend(a6, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b4 = a8.blend(a9, PanamaLaneTree.BIT0)
                    .add(a9.blend(a8, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b5 = a10.blend(a11, PanamaLaneTree.BIT0)
                    .add(a11.blend(a10, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b6 = a12.blend(a13, PanamaLaneTree.BIT0)
                    .add(a13.blend(a12, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b7 = a14.blend(a15, PanamaLaneTree.BIT0)
                    .add(a15.blend(a14, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector c0 = b0.blend(b1, PanamaLaneTree.BIT1)
                    .add(b1.blend(b0, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c1 = b2.blend(b3, PanamaLaneTree.BIT1)
                    .add(b3.blend(b2, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c2 = b4.blend(b5, PanamaLaneTree.BIT1)
                    .add(b5.blend(b4, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c3 = b6.blend(b7, PanamaLaneTree.BIT1)
                    .add(b7.blend(b6, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector d0 = c0.blend(c1, PanamaLaneTree.BIT2)
                    .add(c1.blend(c0, PanamaLaneTree.BIT2).rearrange(PanamaLaneTree.SWAP4));
            FloatVector d1 = c2.blend(c3, PanamaLaneTree.BIT2)
                    .add(c3.blend(c2, PanamaLaneTree.BIT2).rearrange(PanamaLaneTree.SWAP4));
            FloatVector s = d0.blend(d1, PanamaLaneTree.BIT3)
                    .add(d1.blend(d0, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8)).mul(scale);
            // Lanes of tokens past the last: -infinity, without a branch (see softmax).
            float valid = Math.min(LANES, (tokens - t0) * 8);
            s.blend(Float.NEGATIVE_INFINITY, iota.compare(VectorOperators.GE, valid)).intoArray(w, v);
        }
    }

    /** Four heads, four tokens per vector: lanes {@code 4t .. 4t+3} token {@code t}'s heads. */
    private static void scores4(float[] q, int qOff, int n, MemorySegment seg, long off, long rowBytes, int tokens,
            float[] w, float scale) {
        int last = tokens - 1;
        FloatVector iota = FloatVector.fromArray(F, IOTA, 0);
        for (int t0 = 0, v = 0; t0 < tokens; t0 += 4, v += LANES) {
            long oA = off + t0 * rowBytes;
            long oB = off + Math.min(t0 + 1, last) * rowBytes;
            long oC = off + Math.min(t0 + 2, last) * rowBytes;
            long oD = off + Math.min(t0 + 3, last) * rowBytes;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector a4 = FloatVector.zero(F);
            FloatVector a5 = FloatVector.zero(F);
            FloatVector a6 = FloatVector.zero(F);
            FloatVector a7 = FloatVector.zero(F);
            FloatVector a8 = FloatVector.zero(F);
            FloatVector a9 = FloatVector.zero(F);
            FloatVector a10 = FloatVector.zero(F);
            FloatVector a11 = FloatVector.zero(F);
            FloatVector a12 = FloatVector.zero(F);
            FloatVector a13 = FloatVector.zero(F);
            FloatVector a14 = FloatVector.zero(F);
            FloatVector a15 = FloatVector.zero(F);
            for (int d = 0; d < n; d += LANES) {
                long e = (long) d * Float.BYTES;
                FloatVector q0 = FloatVector.fromArray(F, q, qOff + d);
                FloatVector q1 = FloatVector.fromArray(F, q, qOff + n + d);
                FloatVector q2 = FloatVector.fromArray(F, q, qOff + 2 * n + d);
                FloatVector q3 = FloatVector.fromArray(F, q, qOff + 3 * n + d);
                FloatVector kA = FloatVector.fromMemorySegment(F, seg, oA + e, NATIVE);
                FloatVector kB = FloatVector.fromMemorySegment(F, seg, oB + e, NATIVE);
                a0 = q0.fma(kA, a0);
                a1 = q1.fma(kA, a1);
                a2 = q2.fma(kA, a2);
                a3 = q3.fma(kA, a3);
                a4 = q0.fma(kB, a4);
                a5 = q1.fma(kB, a5);
                a6 = q2.fma(kB, a6);
                a7 = q3.fma(kB, a7);
                FloatVector kC = FloatVector.fromMemorySegment(F, seg, oC + e, NATIVE);
                FloatVector kD = FloatVector.fromMemorySegment(F, seg, oD + e, NATIVE);
                a8 = q0.fma(kC, a8);
                a9 = q1.fma(kC, a9);
                a10 = q2.fma(kC, a10);
                a11 = q3.fma(kC, a11);
                a12 = q0.fma(kD, a12);
                a13 = q1.fma(kD, a13);
                a14 = q2.fma(kD, a14);
                a15 = q3.fma(kD, a15);
            }
            FloatVector b0 = a0.blend(a1, PanamaLaneTree.BIT0)
                    .add(a1.blend(a0, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b1 = a2.blend(a3, PanamaLaneTree.BIT0)
                    .add(a3.blend(a2, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b2 = a4.blend(a5, PanamaLaneTree.BIT0)
                    .add(a5.blend(a4, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b3 = a6.blend(a7, PanamaLaneTree.BIT0)
                    .add(a7.blend(a6, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b4 = a8.blend(a9, PanamaLaneTree.BIT0)
                    .add(a9.blend(a8, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b5 = a10.blend(a11, PanamaLaneTree.BIT0)
                    .add(a11.blend(a10, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b6 = a12.blend(a13, PanamaLaneTree.BIT0)
                    .add(a13.blend(a12, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector b7 = a14.blend(a15, PanamaLaneTree.BIT0)
                    .add(a15.blend(a14, PanamaLaneTree.BIT0).rearrange(PanamaLaneTree.SWAP1));
            FloatVector c0 = b0.blend(b1, PanamaLaneTree.BIT1)
                    .add(b1.blend(b0, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c1 = b2.blend(b3, PanamaLaneTree.BIT1)
                    .add(b3.blend(b2, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c2 = b4.blend(b5, PanamaLaneTree.BIT1)
                    .add(b5.blend(b4, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector c3 = b6.blend(b7, PanamaLaneTree.BIT1)
                    .add(b7.blend(b6, PanamaLaneTree.BIT1).rearrange(PanamaLaneTree.SWAP2));
            FloatVector d0 = c0.blend(c1, PanamaLaneTree.BIT2)
                    .add(c1.blend(c0, PanamaLaneTree.BIT2).rearrange(PanamaLaneTree.SWAP4));
            FloatVector d1 = c2.blend(c3, PanamaLaneTree.BIT2)
                    .add(c3.blend(c2, PanamaLaneTree.BIT2).rearrange(PanamaLaneTree.SWAP4));
            FloatVector s = d0.blend(d1, PanamaLaneTree.BIT3)
                    .add(d1.blend(d0, PanamaLaneTree.BIT3).rearrange(PanamaLaneTree.SWAP8)).mul(scale);
            // Lanes of tokens past the last: -infinity, without a branch (see softmax).
            float valid = Math.min(LANES, (tokens - t0) * 4);
            s.blend(Float.NEGATIVE_INFINITY, iota.compare(VectorOperators.GE, valid)).intoArray(w, v);
        }
    }
}
