package org.kvplace.core.cache;

/** Deterministic K and V values, so that tests can recompute what was appended without storing it. */
final class TestData {

    private TestData() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A value in [-4, 4) determined by its coordinates; kind 0 = key, 1 = value. */
    static float value(int seq, int layer, int token, int kind, int i) {
        long h = mix(mix(mix(mix(seq * 0x9E3779B97F4A7C15L + layer) + token) + kind) + i);
        return ((h >>> 40) / (float) (1 << 24) - 0.5f) * 8f;
    }

    static void fill(float[] dst, int seq, int layer, int token, int kind) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] = value(seq, layer, token, kind, i);
        }
    }
}
