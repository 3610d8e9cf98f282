package org.kvplace.core.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;

/**
 * The readable reference implementation of {@link DecodeKernel}: plain loops, one query head at a
 * time, online (streaming) softmax. It is the oracle that faster kernels are tested against and the
 * fallback when no faster kernel is available.
 */
public final class ScalarDecodeKernel implements DecodeKernel {

    /** The shared instance; the kernel is stateless. */
    public static final ScalarDecodeKernel INSTANCE = new ScalarDecodeKernel();

    private ScalarDecodeKernel() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void attend(KvLayerView layer, float[] q, float[] out, int[] pages, int pageCount) {
        PageLayout layout = layer.layout();
        int headDim = layout.headDim();
        int kvHeads = layout.kvHeads();
        int queryHeads = q.length / headDim;
        int group = queryHeads / kvHeads;
        assert queryHeads * headDim == q.length && group * kvHeads == queryHeads && out.length == q.length;
        int n = pages == null ? layer.pageCount() : pageCount;
        ElementType type = layout.elementType();
        int elementBytes = type.bytes();
        float scale = (float) (1.0 / Math.sqrt(headDim));

        // Each page is read once per call whatever the number of query heads sharing a KV head.
        for (int i = 0; i < n; i++) {
            int page = pages == null ? i : pages[i];
            layer.chargeRead(page, layer.pageTokens(page) * layout.tokenBytes());
        }

        for (int h = 0; h < queryHeads; h++) {
            int kvHead = h / group;
            int qBase = h * headDim;
            float max = Float.NEGATIVE_INFINITY;
            float sum = 0f;
            for (int d = 0; d < headDim; d++) {
                out[qBase + d] = 0f;
            }
            for (int i = 0; i < n; i++) {
                int page = pages == null ? i : pages[i];
                MemorySegment seg = layer.segment(page);
                long base = layer.offset(page);
                int tokens = layer.pageTokens(page);
                for (int t = 0; t < tokens; t++) {
                    long kOff = base + layout.keyOffset(kvHead, t);
                    float score = 0f;
                    for (int d = 0; d < headDim; d++) {
                        score += q[qBase + d] * type.load(seg, kOff + (long) d * elementBytes);
                    }
                    score *= scale;
                    if (score > max) {
                        float correction = (float) Math.exp(max - score); // 0 on the first token
                        sum *= correction;
                        for (int d = 0; d < headDim; d++) {
                            out[qBase + d] *= correction;
                        }
                        max = score;
                    }
                    float w = (float) Math.exp(score - max);
                    sum += w;
                    long vOff = base + layout.valueOffset(kvHead, t);
                    for (int d = 0; d < headDim; d++) {
                        out[qBase + d] += w * type.load(seg, vOff + (long) d * elementBytes);
                    }
                }
            }
            float inv = 1f / sum;
            for (int d = 0; d < headDim; d++) {
                out[qBase + d] *= inv;
            }
        }
    }

    @Override
    public void scorePages(KvLayerView layer, float[] q, float[] scores) {
        PageLayout layout = layer.layout();
        int headDim = layout.headDim();
        int group = q.length / headDim / layout.kvHeads();
        int n = layer.pageCount();
        assert scores.length >= n;
        MemorySegment meta = layer.metadata();
        float[] lanes = BOUND_SCRATCH.get();
        for (int p = 0; p < n; p++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int kv = 0; kv < layout.kvHeads(); kv++) {
                long minOff = layer.keyMinOffset(p, kv);
                long maxOff = layer.keyMaxOffset(p, kv);
                for (int g = 0; g < group; g++) {
                    int qBase = (kv * group + g) * headDim;
                    Arrays.fill(lanes, 0f);
                    for (int d = 0; d < headDim; d++) {
                        float qd = q[qBase + d];
                        float lo = meta.get(ValueLayout.JAVA_FLOAT, minOff + (long) d * Float.BYTES);
                        float hi = meta.get(ValueLayout.JAVA_FLOAT, maxOff + (long) d * Float.BYTES);
                        int lane = d % BOUND_LANES;
                        lanes[lane] = Math.fma(Math.min(qd, 0f), lo, Math.fma(Math.max(qd, 0f), hi, lanes[lane]));
                    }
                    for (int width = BOUND_LANES / 2; width > 1; width /= 2) {
                        for (int i = 0; i < width; i++) {
                            lanes[i] += lanes[i + width];
                        }
                    }
                    best = Math.max(best, lanes[0] + lanes[1]);
                }
            }
            scores[p] = best;
        }
    }

    /** Accumulators of the bound order defined in {@link DecodeKernel#scorePages}. */
    private static final int BOUND_LANES = 16;

    /** Per-thread accumulators of {@link #scorePages}, so that a call does not allocate. */
    private static final ThreadLocal<float[]> BOUND_SCRATCH = ThreadLocal.withInitial(() -> new float[BOUND_LANES]);

    /**
     * The reference: token by token, head by head, with the online softmax of {@link #attend} and a
     * per-page online (maximum, sum) pair for the page records.
     */
    @Override
    public void attendPages(KvLayerView layer, float[] q, int[] pages, int from, int to, AttentionState state) {
        PageLayout layout = layer.layout();
        int headDim = layout.headDim();
        int queryHeads = q.length / headDim;
        int group = queryHeads / layout.kvHeads();
        assert state.queryHeads() == queryHeads && state.headDim() == headDim;
        assert state.maxPages() == 0 || to <= state.maxPages();
        ElementType type = layout.elementType();
        int elementBytes = type.bytes();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] max = state.max();
        float[] sum = state.sum();
        float[] acc = state.acc();
        boolean record = state.maxPages() > 0;
        for (int i = from; i < to; i++) {
            int page = pages[i];
            int tokens = layer.pageTokens(page);
            layer.chargeRead(page, tokens * layout.tokenBytes());
            MemorySegment seg = layer.segment(page);
            long base = layer.offset(page);
            for (int h = 0; h < queryHeads; h++) {
                int kvHead = h / group;
                int qBase = h * headDim;
                float pageMax = Float.NEGATIVE_INFINITY;
                float pageSum = 0f;
                for (int t = 0; t < tokens; t++) {
                    long kOff = base + layout.keyOffset(kvHead, t);
                    float score = 0f;
                    for (int d = 0; d < headDim; d++) {
                        score += q[qBase + d] * type.load(seg, kOff + (long) d * elementBytes);
                    }
                    score *= scale;
                    if (score > max[h]) {
                        float correction = (float) Math.exp(max[h] - score); // 0 on the first token
                        sum[h] *= correction;
                        for (int d = 0; d < headDim; d++) {
                            acc[qBase + d] *= correction;
                        }
                        max[h] = score;
                    }
                    float w = (float) Math.exp(score - max[h]);
                    sum[h] += w;
                    long vOff = base + layout.valueOffset(kvHead, t);
                    for (int d = 0; d < headDim; d++) {
                        acc[qBase + d] += w * type.load(seg, vOff + (long) d * elementBytes);
                    }
                    if (score > pageMax) {
                        pageSum = pageSum * (float) Math.exp(pageMax - score) + 1f;
                        pageMax = score;
                    } else {
                        pageSum += (float) Math.exp(score - pageMax);
                    }
                }
                if (record) {
                    state.pageRef()[i * queryHeads + h] = pageMax;
                    state.pageSum()[i * queryHeads + h] = pageSum;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ScalarDecodeKernel";
    }
}
