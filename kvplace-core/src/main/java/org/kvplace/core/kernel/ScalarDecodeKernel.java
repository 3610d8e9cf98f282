package org.kvplace.core.kernel;

import java.lang.foreign.MemorySegment;
import org.kvplace.core.cache.ElementType;
import org.kvplace.core.cache.PageLayout;

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
    public String toString() {
        return "ScalarDecodeKernel";
    }
}
