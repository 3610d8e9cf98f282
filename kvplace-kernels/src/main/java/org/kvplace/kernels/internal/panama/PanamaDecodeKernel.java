package org.kvplace.kernels.internal.panama;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.kernel.AttentionState;
import org.kvplace.core.kernel.DecodeKernel;
import org.kvplace.core.kernel.KvLayerView;

/**
 * The Vector API {@link DecodeKernel}. Attention runs page by page and KV head by KV head: the
 * page's scores for one query head are computed into a small buffer, their maximum updates the
 * running maximum once per page (one rescale of the accumulator at most), the softmax numerators
 * are taken with a vector {@code exp}, and the weighted value rows are summed chunk by chunk with
 * the accumulator chunk held in a register. All query heads of a GQA group read the page's K and V
 * while they are in L1, so each page crosses the memory bus once. f16 pages are widened into a
 * per-thread f32 block first ({@link PanamaHalf}). Where a layer's KV passes 1 MiB (so comes from
 * memory), each page's successor in the call is touched, a long per cache line, before the page
 * is computed.
 *
 * <p>Groups of four or eight query heads over heads of a multiple of 16 floats, at 512 bits, take
 * {@link PanamaGroupTree} instead: scores stored token by token, reduced by a transposing tree, and
 * the softmax kept lane by lane, so no per-token horizontal reduction and no per-head scalar step.
 *
 * <p>Stateless and thread-safe; per-thread scratch grows on first use and is then reused, so a
 * call allocates nothing once warm.
 */
public final class PanamaDecodeKernel implements DecodeKernel {

    /** Pages per block of the page-bounds scan (even): 64 pages of 8 KiB records fit in L2. */
    private static final int SCORE_BLOCK = 64;
    /**
     * Bytes of K or V rows that attention takes through all its passes before the next rows: one
     * 4 KiB page. With the KV from DRAM this is faster than whole blocks per pass, and smaller
     * chunks pay more in calls than they gain ({@code docs/performance.md}, "Block size matters
     * more than the work").
     */
    private static final long CHUNK_BYTES = 4096;
    /**
     * Layers whose KV (all pages, K and V) holds at least this many bytes touch each page's
     * successor while they read it (see {@link #touch}): a layer that large does not stay in
     * cache from one decode step to the next, and without the touch a page's loads hardly overlap
     * the arithmetic on the page before; a smaller one may, and there the touch only costs its loads.
     */
    private static final long TOUCH_MIN_LAYER_BYTES = 1L << 20;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private PanamaDecodeKernel() {}

    /**
     * Creates the kernel.
     *
     * @throws UnsupportedOperationException if the vector width is not 128, 256 or 512 bits
     */
    public static PanamaDecodeKernel create() {
        int lanes = PanamaConstants.LANES;
        if (lanes != 4 && lanes != 8 && lanes != 16) {
            throw new UnsupportedOperationException("unsupported float vector of " + lanes + " lanes");
        }
        return new PanamaDecodeKernel();
    }

    /** Float lanes per vector of this kernel. */
    public static int lanes() {
        return PanamaConstants.LANES;
    }

    @Override
    public String name() {
        return "panama";
    }

    @Override
    public void attend(KvLayerView layer, float[] q, float[] out, int[] pages, int pageCount) {
        int headDim = layer.layout().headDim();
        Scratch scratch = SCRATCH.get();
        AttentionState state = scratch.state(q.length / headDim, headDim);
        state.reset();
        if (pages == null) {
            int n = layer.pageCount();
            int[] all = scratch.allPages(n);
            attendPages(layer, q, all, 0, n, state);
        } else {
            attendPages(layer, q, pages, 0, pageCount, state);
        }
        state.finish(out);
    }

    @Override
    public void scorePages(KvLayerView layer, float[] q, float[] scores) {
        PageLayout layout = layer.layout();
        int headDim = layout.headDim();
        int kvHeads = layout.kvHeads();
        int group = q.length / headDim / kvHeads;
        int n = layer.pageCount();
        assert scores.length >= n;
        MemorySegment meta = layer.metadata();
        Scratch scratch = SCRATCH.get();
        float[] qp = scratch.positive(q.length);
        float[] qn = scratch.negative;
        // One scratch for both scoring paths below (they never run at the same time): the group's
        // bounds page by page, or the eight bounds of a pair of pages.
        float[] bounds = scratch.bounds(Math.max(8, group));
        PanamaBounds.split(q, qp, qn);
        // Pages in blocks of SCORE_BLOCK. Each block's metadata is read front to back first (the
        // read-baseline loop), so that the scoring below finds it in cache: scored straight from
        // DRAM, KV head by KV head, a head's slice of a record (1 KiB of every 8 KiB) waited on
        // memory latency at every slice. At 512 bits the block is then scored KV head by KV head,
        // two pages at a time (PanamaBounds.boundsPair512x4), so that one KV head's query slices
        // (4 KiB per four heads) stay in L1; otherwise, and for an odd last page, page by page.
        boolean pairs = PanamaConstants.LANES == 16 && headDim % 16 == 0 && group % 4 == 0;
        int pairedEnd = pairs ? n - n % 2 : 0;
        long blockBytes = (long) headDim * Float.BYTES;
        float touched = 0f;
        for (int b0 = 0; b0 < n; b0 += SCORE_BLOCK) {
            int b1 = Math.min(b0 + SCORE_BLOCK, n);
            for (int i = b0; i < b1; i++) {
                for (int kv = 0; kv < kvHeads; kv++) {
                    touched += PanamaReadBaseline.sum(meta, layer.keyMinOffset(i, kv), blockBytes);
                    touched += PanamaReadBaseline.sum(meta, layer.keyMaxOffset(i, kv), blockBytes);
                }
            }
            int pairsEnd = Math.max(b0, Math.min(b1, pairedEnd));
            Arrays.fill(scores, b0, pairsEnd, Float.NEGATIVE_INFINITY);
            for (int kv = 0; kv < kvHeads && pairsEnd > b0; kv++) {
                for (int g = 0; g < group; g += 4) {
                    int qOff = (kv * group + g) * headDim;
                    for (int i = b0; i < pairsEnd; i += 2) {
                        PanamaBounds.boundsPair512x4(qp, qn, qOff, headDim, meta, layer.keyMinOffset(i, kv),
                                layer.keyMaxOffset(i, kv), layer.keyMinOffset(i + 1, kv),
                                layer.keyMaxOffset(i + 1, kv), scratch.lanes, bounds);
                        scores[i] = Math.max(scores[i],
                                Math.max(Math.max(bounds[0], bounds[1]), Math.max(bounds[2], bounds[3])));
                        scores[i + 1] = Math.max(scores[i + 1],
                                Math.max(Math.max(bounds[4], bounds[5]), Math.max(bounds[6], bounds[7])));
                    }
                }
            }
            for (int i = pairsEnd; i < b1; i++) {
                float best = Float.NEGATIVE_INFINITY;
                for (int kv = 0; kv < kvHeads; kv++) {
                    PanamaBounds.bounds(qp, qn, kv * group * headDim, group, headDim, meta,
                            layer.keyMinOffset(i, kv), layer.keyMaxOffset(i, kv), scratch.lanes, bounds);
                    for (int g = 0; g < group; g++) {
                        best = Math.max(best, bounds[g]);
                    }
                }
                scores[i] = best;
            }
        }
        scratch.lanes[0] = touched; // keeps the reads
    }

    @Override
    public void attendPages(KvLayerView layer, float[] q, int[] pages, int from, int to, AttentionState state) {
        PageLayout layout = layer.layout();
        int headDim = layout.headDim();
        int kvHeads = layout.kvHeads();
        int queryHeads = q.length / headDim;
        int group = queryHeads / kvHeads;
        assert state.queryHeads() == queryHeads && state.headDim() == headDim;
        assert state.maxPages() == 0 || to <= state.maxPages();
        boolean f16 = layout.elementType() == ElementType.F16;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        Scratch scratch = SCRATCH.get();
        // Score rows of one head: a multiple of the vector length when whole blocks of tokens store
        // their scores at once (narrow heads, token blocks), else the page's tokens.
        boolean narrow = PanamaNarrowHeads.supports(headDim);
        boolean blocks = narrow || PanamaTokenBlocks.supports(headDim);
        int lanes = PanamaConstants.LANES;
        float[] w = scratch.weights(group * roundUp(layout.pageTokens(), lanes));
        float[] repeated = null;
        float[] pageMax = null;
        if (narrow) {
            pageMax = scratch.pageMax(group);
            repeated = scratch.repeated(queryHeads * lanes);
            PanamaNarrowHeads.repeat(q, queryHeads, headDim, repeated);
        }
        boolean record = state.maxPages() > 0;
        long headBytes = layout.headBytes();
        boolean tree = !narrow && PanamaGroupTree.supports(headDim, group);
        float[] rep = null;
        int repStride = 2 * lanes;
        if (tree) {
            rep = scratch.rep(kvHeads * repStride);
            for (int kv = 0; kv < kvHeads; kv++) {
                PanamaGroupTree.load(state.max(), state.sum(), kv * group, group, rep, kv * repStride);
            }
        }
        boolean touchNext = layer.pageCount() * layout.pageBytes() >= TOUCH_MIN_LAYER_BYTES;
        long touched = 0;
        for (int i = from; i < to; i++) {
            int page = pages[i];
            int tokens = layer.pageTokens(page);
            layer.chargeRead(page, tokens * layout.tokenBytes());
            MemorySegment seg = layer.segment(page);
            long base = layer.offset(page);
            int wStride = blocks ? roundUp(tokens, lanes) : tokens;
            if (touchNext && i + 1 < to) {
                int next = pages[i + 1];
                touched ^= touch(layer.segment(next), layer.offset(next), layout.pageBytes());
            }
            for (int kv = 0; kv < kvHeads; kv++) {
                MemorySegment kSeg = seg;
                MemorySegment vSeg = seg;
                long kOff = base + layout.keyOffset(kv, 0);
                long vOff = base + layout.valueOffset(kv, 0);
                long rowBytes = headBytes;
                if (f16) {
                    int n = tokens * headDim;
                    scratch.ensureBlock(n);
                    PanamaHalf.widen(seg, kOff, scratch.keys, n);
                    PanamaHalf.widen(seg, vOff, scratch.values, n);
                    kSeg = scratch.keySegment;
                    vSeg = scratch.valueSegment;
                    kOff = 0;
                    vOff = 0;
                    rowBytes = (long) headDim * Float.BYTES;
                }
                int recordBase = record ? i * queryHeads : -1;
                if (tree) {
                    PanamaGroupTree.attend(q, kv * group, group, headDim, scale, kSeg, kOff, vSeg, vOff, rowBytes,
                            tokens, w, state.acc(), rep, kv * repStride, state.pageRef(), state.pageSum(), recordBase,
                            scratch.tmp);
                } else if (narrow) {
                    attendNarrow(repeated, kv * group, group, headDim, scale, kSeg, kOff, vSeg, vOff, tokens, w,
                            wStride, state, recordBase, scratch.lanes, pageMax);
                } else {
                    attendGroup(q, kv * group, group, headDim, scale, kSeg, kOff, vSeg, vOff, rowBytes, tokens, w,
                            wStride, blocks, state, recordBase);
                }
            }
        }
        if (tree) {
            for (int kv = 0; kv < kvHeads; kv++) {
                PanamaGroupTree.store(rep, kv * repStride, kv * group, group, state.max(), state.sum());
            }
        }
        PanamaTouch.keep(touched);
    }

    /**
     * Loads one long of every 64-byte line of the {@code bytes} at {@code off} (none past them), so
     * that a page's lines are on their way from memory while the page before is computed: the
     * Vector API has no prefetch, and the hardware's streams start over at every page, which lies
     * anywhere in its slab. Returns the loads' XOR, which the caller keeps ({@link PanamaTouch}).
     * Measured ({@code docs/decode.md}): attention over 256 MB of the 1B shape's KV 17-40% faster
     * in a driver (medians), the 1B-shape bench's attention at depth 16,384 7-18% faster.
     */
    private static long touch(MemorySegment seg, long off, long bytes) {
        long t = 0;
        for (long o = off, last = off + bytes - Long.BYTES; o <= last; o += 64) {
            t ^= seg.get(ValueLayout.JAVA_LONG_UNALIGNED, o);
        }
        return t;
    }

    private static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** {@link #attendGroup} for heads narrower than a vector ({@link PanamaNarrowHeads}). */
    private static void attendNarrow(float[] rep, int h0, int group, int headDim, float scale, MemorySegment kSeg,
            long kOff, MemorySegment vSeg, long vOff, int tokens, float[] w, int wStride, AttentionState state,
            int recordBase, float[] lanes, float[] pageMax) {
        if (headDim == 8) {
            PanamaNarrowHeads.scores8(rep, h0, group, kSeg, kOff, tokens, w, wStride, scale, pageMax);
        } else {
            PanamaNarrowHeads.scores4(rep, h0, group, kSeg, kOff, tokens, w, wStride, scale, pageMax);
        }
        softmax(h0, group, headDim, tokens, w, wStride, state, recordBase, pageMax);
        if (headDim == 8) {
            PanamaNarrowHeads.weightedSums8(state.acc(), h0, group, w, wStride, tokens, vSeg, vOff, lanes);
        } else {
            PanamaNarrowHeads.weightedSums4(state.acc(), h0, group, w, wStride, tokens, vSeg, vOff, lanes);
        }
    }

    /**
     * Per-head softmax bookkeeping of one page: the page's largest score updates the running maximum
     * (rescaling the accumulator once at most), the scores become numerators in place and their sum
     * is added; the page record is written when {@code recordBase >= 0}. {@code pageMaxes} holds the
     * heads' largest scores when the scores' kernel found them, else it is {@code null}.
     */
    private static void softmax(int h0, int group, int headDim, int tokens, float[] w, int wStride,
            AttentionState state, int recordBase, float[] pageMaxes) {
        float[] max = state.max();
        float[] sum = state.sum();
        float[] acc = state.acc();
        for (int g = 0; g < group; g++) {
            int h = h0 + g;
            int wOff = g * wStride;
            float pageMax = pageMaxes != null ? pageMaxes[g] : PanamaSoftmax.max(w, wOff, tokens);
            float old = max[h];
            if (pageMax > old) {
                if (old != Float.NEGATIVE_INFINITY) {
                    float c = (float) Math.exp(old - pageMax);
                    sum[h] *= c;
                    PanamaSoftmax.scale(acc, h * headDim, headDim, c);
                }
                max[h] = pageMax;
            }
            float pageSum = PanamaSoftmax.expInPlace(w, wOff, tokens, max[h]);
            sum[h] += pageSum;
            if (recordBase >= 0) {
                state.pageRef()[recordBase + h] = max[h];
                state.pageSum()[recordBase + h] = pageSum;
            }
        }
    }

    /**
     * Folds one page of one KV head into the state of its {@code group} query heads {@code h0 ..}:
     * scores of all heads (K read once per batch of four heads), per-head softmax bookkeeping, then
     * the weighted V rows (V read once per batch of four heads). Head {@code g}'s scores are at
     * {@code w[g * wStride ..]}; with {@code blocks} the heads outside those batches are scored a
     * block of tokens at a time ({@link PanamaTokenBlocks}). {@code recordBase} is the page's record
     * offset in the state, or {@code -1}.
     */
    private static void attendGroup(float[] q, int h0, int group, int headDim, float scale, MemorySegment kSeg,
            long kOff, MemorySegment vSeg, long vOff, long rowBytes, int tokens, float[] w, int wStride,
            boolean blocks, AttentionState state, int recordBase) {
        // Rows in chunks of about CHUNK_BYTES, every pass over a chunk before the next chunk: the
        // hardware prefetcher runs a few KiB ahead of the first pass, so the passes that follow from
        // L1 overlap the fetch of the next chunk only while they are short.
        int chunk = (int) Math.max(1, CHUNK_BYTES / rowBytes);
        int paired = headDim == 8 * PanamaConstants.LANES ? group - group % 2 : 0;
        for (int t0 = 0; t0 < tokens && paired > 0; t0 += chunk) {
            int n = Math.min(chunk, tokens - t0);
            for (int p = 0; p < paired; p += 2) {
                PanamaDots.dot2x8(q, (h0 + p) * headDim, (h0 + p + 1) * headDim, kSeg, kOff + t0 * rowBytes, rowBytes,
                        n, w, p * wStride + t0, (p + 1) * wStride + t0, scale);
            }
        }
        int g = paired;
        for (; g + 4 <= group; g += 4) {
            PanamaDots.dot4(q, (h0 + g) * headDim, headDim, kSeg, kOff, rowBytes, tokens, w, g * wStride, wStride,
                    scale);
        }
        for (; g < group; g++) {
            int qOff = (h0 + g) * headDim;
            if (blocks) {
                PanamaTokenBlocks.scores(q, qOff, headDim, kSeg, kOff, rowBytes, tokens, w, g * wStride, scale);
            } else {
                for (int t = 0; t < tokens; t++) {
                    w[g * wStride + t] = PanamaDots.dot(q, qOff, kSeg, kOff + t * rowBytes, headDim) * scale;
                }
            }
        }
        softmax(h0, group, headDim, tokens, w, wStride, state, recordBase, null);
        float[] acc = state.acc();
        for (int t0 = 0; t0 < tokens && paired > 0; t0 += chunk) {
            int n = Math.min(chunk, tokens - t0);
            for (int p = 0; p < paired; p += 2) {
                PanamaRowSums.weightedSum2x8(acc, (h0 + p) * headDim, (h0 + p + 1) * headDim, w, p * wStride + t0,
                        (p + 1) * wStride + t0, n, vSeg, vOff + t0 * rowBytes, rowBytes);
            }
        }
        g = paired;
        for (; g + 4 <= group; g += 4) {
            PanamaRowSums.weightedSum4Heads(acc, (h0 + g) * headDim, headDim, w, g * wStride, wStride, 1, tokens,
                    vSeg, vOff, rowBytes);
        }
        for (; g < group; g++) {
            PanamaRowSums.weightedSum(acc, (h0 + g) * headDim, w, g * wStride, tokens, vSeg, vOff, rowBytes, headDim);
        }
    }

    @Override
    public String toString() {
        return "PanamaDecodeKernel[" + PanamaConstants.F + "]";
    }

    /** Per-thread scratch; grows, never shrinks. */
    private static final class Scratch {
        final float[] lanes = new float[4 * PanamaBounds.LOGICAL_LANES];
        float[] positive = new float[0];
        float[] negative = new float[0];
        float[] bounds = new float[8];
        float[] pageMax = new float[8];
        float[] weights = new float[64];
        float[] repeated = new float[0];
        final float[] tmp = new float[2 * PanamaConstants.LANES];
        float[] rep = new float[0];
        float[] keys = new float[0];
        float[] values = new float[0];
        MemorySegment keySegment = MemorySegment.ofArray(keys);
        MemorySegment valueSegment = MemorySegment.ofArray(values);
        AttentionState state;
        int[] allPages = new int[0];

        float[] positive(int n) {
            if (positive.length != n) {
                positive = new float[n];
                negative = new float[n];
            }
            return positive;
        }

        float[] pageMax(int group) {
            if (pageMax.length < group) {
                pageMax = new float[group];
            }
            return pageMax;
        }

        float[] bounds(int group) {
            if (bounds.length < group) {
                bounds = new float[group];
            }
            return bounds;
        }

        float[] rep(int n) {
            if (rep.length < n) {
                rep = new float[n];
            }
            return rep;
        }

        float[] repeated(int n) {
            if (repeated.length < n) {
                repeated = new float[n];
            }
            return repeated;
        }

        float[] weights(int pageTokens) {
            if (weights.length < pageTokens) {
                weights = new float[pageTokens];
            }
            return weights;
        }

        void ensureBlock(int n) {
            if (keys.length < n) {
                keys = new float[n];
                values = new float[n];
                keySegment = MemorySegment.ofArray(keys);
                valueSegment = MemorySegment.ofArray(values);
            }
        }

        AttentionState state(int queryHeads, int headDim) {
            if (state == null || state.queryHeads() != queryHeads || state.headDim() != headDim) {
                state = new AttentionState(queryHeads, headDim, 0);
            }
            return state;
        }

        int[] allPages(int n) {
            if (allPages.length < n) {
                allPages = new int[n];
                for (int i = 0; i < n; i++) {
                    allPages[i] = i;
                }
            }
            return allPages;
        }
    }
}
