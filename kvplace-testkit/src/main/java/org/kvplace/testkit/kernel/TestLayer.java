package org.kvplace.testkit.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.kvplace.core.kernel.KvLayerView;
import org.kvplace.core.layout.ElementType;
import org.kvplace.core.layout.PageLayout;
import org.kvplace.core.memory.TierKind;

/**
 * A {@link KvLayerView} over test data: pages stored out of order in one off-heap segment starting
 * at an arbitrary (possibly unaligned) byte offset, each page labelled with a tier, key metadata
 * computed from the stored values, and read charges counted per page.
 *
 * <p>Not final: a test may override {@link #chargeRead} to make a tier fail or stall. Owns one
 * shared arena; {@link #close()} frees it.
 */
public class TestLayer implements KvLayerView, AutoCloseable {

    /** How values are drawn. */
    public enum Fill {
        /** Keys, values in [-1, 1). */
        UNIFORM,
        /** Keys up to +-100, values mixing huge, tiny (subnormal) and zero magnitudes. */
        EXTREME
    }

    private final PageLayout layout;
    private final int tokens;
    private final int pages;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment data;
    private final MemorySegment meta;
    private final long base;
    private final int[] slotOfPage;
    private final TierKind[] tier;
    private final long[] charged;
    private final float[][] keys;   // [token][kvHead*headDim], as stored (rounded)
    private final float[][] values; // [token][kvHead*headDim], as stored (rounded)

    /**
     * A layer of {@code tokens} tokens drawn from {@code seed}.
     *
     * @param layout the page layout
     * @param tokens tokens of the layer, at least 1
     * @param seed seed of the values, the page order and the tiers
     * @param baseOffset byte offset of the first slot in the segment (unaligned on purpose when odd)
     * @param fill how values are drawn
     * @param slowFraction probability of each page to sit in the slow tier
     */
    public TestLayer(PageLayout layout, int tokens, long seed, long baseOffset, Fill fill, double slowFraction) {
        this.layout = layout;
        this.tokens = tokens;
        this.pages = (tokens + layout.pageTokens() - 1) / layout.pageTokens();
        this.base = baseOffset;
        SplittableRandom rnd = new SplittableRandom(seed);
        this.slotOfPage = new int[pages];
        for (int i = 0; i < pages; i++) {
            slotOfPage[i] = i;
        }
        for (int i = pages - 1; i > 0; i--) { // shuffle: pages are not stored in order
            int j = rnd.nextInt(i + 1);
            int t = slotOfPage[i];
            slotOfPage[i] = slotOfPage[j];
            slotOfPage[j] = t;
        }
        this.tier = new TierKind[pages];
        for (int i = 0; i < pages; i++) {
            tier[i] = rnd.nextDouble() < slowFraction ? TierKind.SLOW : TierKind.FAST;
        }
        this.charged = new long[pages];
        this.data = arena.allocate(baseOffset + pages * layout.pageBytes() + 64, 64);
        int width = layout.kvHeads() * layout.headDim();
        this.meta = arena.allocate((long) pages * layout.kvHeads() * 2 * layout.headDim() * Float.BYTES, 64);
        this.keys = new float[tokens][width];
        this.values = new float[tokens][width];
        ElementType type = layout.elementType();
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < width; i++) {
                keys[t][i] = type.round(draw(rnd, fill, true, type));
                values[t][i] = type.round(draw(rnd, fill, false, type));
            }
        }
        for (int t = 0; t < tokens; t++) {
            int p = t / layout.pageTokens();
            int inPage = t % layout.pageTokens();
            for (int h = 0; h < layout.kvHeads(); h++) {
                for (int d = 0; d < layout.headDim(); d++) {
                    long e = (long) d * type.bytes();
                    type.store(data, offset(p) + layout.keyOffset(h, inPage) + e, keys[t][h * layout.headDim() + d]);
                    type.store(data, offset(p) + layout.valueOffset(h, inPage) + e, values[t][h * layout.headDim() + d]);
                    float k = keys[t][h * layout.headDim() + d];
                    long minOff = keyMinOffset(p, h) + (long) d * Float.BYTES;
                    long maxOff = keyMaxOffset(p, h) + (long) d * Float.BYTES;
                    if (inPage == 0) {
                        meta.set(ValueLayout.JAVA_FLOAT, minOff, k);
                        meta.set(ValueLayout.JAVA_FLOAT, maxOff, k);
                    } else {
                        meta.set(ValueLayout.JAVA_FLOAT, minOff, Math.min(k, meta.get(ValueLayout.JAVA_FLOAT, minOff)));
                        meta.set(ValueLayout.JAVA_FLOAT, maxOff, Math.max(k, meta.get(ValueLayout.JAVA_FLOAT, maxOff)));
                    }
                }
            }
        }
    }

    private static float draw(SplittableRandom rnd, Fill fill, boolean key, ElementType type) {
        float u = (float) (rnd.nextDouble() * 2 - 1);
        if (fill == Fill.UNIFORM) {
            return u;
        }
        if (key) {
            return u * 100f;
        }
        boolean f32 = type == ElementType.F32;
        return switch (rnd.nextInt(4)) {
            case 0 -> u * (f32 ? 1e30f : 6e4f);
            case 1 -> u * (f32 ? 1e-40f : 1e-6f);
            case 2 -> 0f;
            default -> u;
        };
    }

    /** Deterministic query of {@code queryHeads} heads, elements uniform in {@code [-scale, scale)}. */
    public static float[] query(int queryHeads, int headDim, long seed, float scale) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] q = new float[queryHeads * headDim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (rnd.nextDouble() * 2 - 1) * scale;
        }
        return q;
    }

    /** Moves page {@code page} to tier {@code kind} (the label only: the bytes stay where they are). */
    public void setTier(int page, TierKind kind) {
        tier[page] = kind;
    }

    /** Bytes charged per page by {@link #chargeRead}; the live array. */
    public long[] charged() {
        return charged;
    }

    /** Keys as stored (rounded to the element type), {@code [token][kvHead * headDim + d]}; read-only. */
    public float[][] keys() {
        return keys;
    }

    /** Values as stored (rounded to the element type), {@code [token][kvHead * headDim + d]}; read-only. */
    public float[][] values() {
        return values;
    }

    /** Pages {@code 0 .. n-1} in order. */
    public static int[] allPages(int n) {
        int[] pages = new int[n];
        for (int i = 0; i < n; i++) {
            pages[i] = i;
        }
        return pages;
    }

    @Override
    public PageLayout layout() {
        return layout;
    }

    @Override
    public int pageCount() {
        return pages;
    }

    @Override
    public int tokenCount() {
        return tokens;
    }

    @Override
    public int pageTokens(int page) {
        return Math.min(layout.pageTokens(), tokens - page * layout.pageTokens());
    }

    @Override
    public TierKind tier(int page) {
        return tier[page];
    }

    @Override
    public MemorySegment segment(int page) {
        return data;
    }

    @Override
    public final long offset(int page) {
        return base + slotOfPage[page] * layout.pageBytes();
    }

    @Override
    public long pageHandle(int page) {
        return page;
    }

    @Override
    public synchronized void chargeRead(int page, long bytes) {
        charged[page] += bytes;
    }

    @Override
    public MemorySegment metadata() {
        return meta;
    }

    @Override
    public final long keyMinOffset(int page, int kvHead) {
        return ((long) page * layout.kvHeads() + kvHead) * 2 * layout.headDim() * Float.BYTES;
    }

    @Override
    public final long keyMaxOffset(int page, int kvHead) {
        return keyMinOffset(page, kvHead) + (long) layout.headDim() * Float.BYTES;
    }

    @Override
    public void close() {
        arena.close();
    }
}
