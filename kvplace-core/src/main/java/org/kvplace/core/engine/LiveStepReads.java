package org.kvplace.core.engine;

import org.kvplace.core.attention.SparseAttention;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * The pages one attend read, in the form policies take: filled from a {@link SparseAttention}'s
 * report after each step, reused from step to step without allocation. Units are pages.
 */
final class LiveStepReads implements StepReads {

    private final long[] bits;
    private final float[] mass;
    private final int[] read;
    private int position;
    private int layer;
    private int unitCount;
    private int readCount;

    LiveStepReads(int maxPages) {
        this.bits = new long[Bits.words(maxPages) + 1];
        this.mass = new float[maxPages];
        this.read = new int[maxPages];
    }

    /** Takes the last step of {@code attention} over a layer of {@code pages} pages. */
    void fill(int position, int layer, int pages, SparseAttention attention) {
        for (int i = 0; i < readCount; i++) {
            int u = read[i];
            Bits.clear(bits, u);
            mass[u] = 0f;
        }
        this.position = position;
        this.layer = layer;
        this.unitCount = pages;
        int n = attention.selectedCount();
        float total = 0f;
        for (int i = 0; i < n; i++) {
            total += attention.pageMass(i);
        }
        float norm = total > 0f ? 1f / total : 0f;
        for (int i = 0; i < n; i++) {
            int u = attention.selectedPage(i);
            read[i] = u;
            Bits.set(bits, u);
            mass[u] = attention.pageMass(i) * norm;
        }
        readCount = n;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int layer() {
        return layer;
    }

    @Override
    public int unitCount() {
        return unitCount;
    }

    @Override
    public long[] readBits() {
        return bits;
    }

    @Override
    public int readCount() {
        return readCount;
    }

    @Override
    public boolean hasMass() {
        return true;
    }

    @Override
    public float mass(int unit) {
        return unit >= 0 && unit < mass.length ? mass[unit] : 0f;
    }
}
