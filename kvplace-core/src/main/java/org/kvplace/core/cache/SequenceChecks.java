package org.kvplace.core.cache;

import java.util.Objects;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;

/**
 * The argument checks of one {@link Sequence}'s public methods: layers, vector lengths, values
 * (NaN, infinite, beyond {@link Sequence#MAX_ABS_VALUE}, overflowing f16) and page lists. Each
 * failure is an {@link IllegalArgumentException} naming the value, the layer and the sequence.
 * Stateless beyond the shape; allocates nothing unless it throws.
 */
final class SequenceChecks {

    private static final float MAX_ABS_VALUE = Sequence.MAX_ABS_VALUE;

    private final ModelShape shape;
    private final PageLayout layout;
    private final int id;

    SequenceChecks(ModelShape shape, PageLayout layout, int id) {
        this.shape = shape;
        this.layout = layout;
        this.id = id;
    }

    /** Validates a query and its output before any lock is taken. */
    void checkQuery(int layer, float[] q, float[] out) {
        checkLayer(layer);
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(out, "out");
        int headDim = shape.headDim();
        if (q.length == 0 || q.length % headDim != 0 || (q.length / headDim) % shape.kvHeads() != 0) {
            throw new IllegalArgumentException("q length " + q.length + " is not a positive multiple of kvHeads*headDim="
                    + shape.kvWidth() + " (queryHeads must be a multiple of kvHeads=" + shape.kvHeads() + ")");
        }
        if (out.length != q.length) {
            throw new IllegalArgumentException("out length " + out.length + " differs from q length " + q.length);
        }
        checkValues("q", q, layer);
    }

    /** Checks page indices against the {@code n} pages of {@code layer}. */
    void checkPages(int layer, int[] pages, int pageCount, int n) {
        if (pageCount <= 0 || pageCount > pages.length) {
            throw new IllegalArgumentException("pageCount " + pageCount + " out of range [1, " + pages.length + "]");
        }
        int prev = -1;
        for (int i = 0; i < pageCount; i++) {
            int p = pages[i];
            if (p < 0 || p >= n) {
                throw new IllegalArgumentException("pages[" + i + "]=" + p + " out of range [0, " + n + ") for layer "
                        + layer + " of sequence " + id);
            }
            if (p <= prev) {
                throw new IllegalArgumentException("pages must be strictly increasing: pages[" + i + "]=" + p
                        + " after " + prev);
            }
            prev = p;
        }
    }

    void checkLayer(int layer) {
        if (layer < 0 || layer >= shape.layers()) {
            throw new IllegalArgumentException("layer " + layer + " out of range [0, " + shape.layers() + ")");
        }
    }

    void checkVector(String name, float[] x, int layer) {
        Objects.requireNonNull(x, name);
        if (x.length != shape.kvWidth()) {
            throw new IllegalArgumentException(name + " length " + x.length + " != kvHeads*headDim=" + shape.kvWidth()
                    + " (layer " + layer + " of sequence " + id + ")");
        }
        checkValues(name, x, layer);
        ElementType type = layout.elementType();
        if (type != ElementType.F32) {
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(type.round(x[i]))) {
                    throw new IllegalArgumentException(name + "[" + i + "]=" + x[i] + " overflows " + type
                            + " (layer " + layer + " of sequence " + id + ")");
                }
            }
        }
    }

    /** Rejects NaN, infinite and out-of-bound values, naming the first. */
    void checkValues(String name, float[] x, int layer) {
        for (int i = 0; i < x.length; i++) {
            float a = Math.abs(x[i]);
            if (!(a <= MAX_ABS_VALUE)) {
                throw new IllegalArgumentException(name + "[" + i + "]=" + x[i] + (Float.isFinite(x[i])
                        ? " exceeds the largest magnitude accepted, " + MAX_ABS_VALUE + " (2^32)"
                        : " is not finite") + " (layer " + layer + " of sequence " + id + ")");
            }
        }
    }
}
