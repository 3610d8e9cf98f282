package org.kvplace.core.placement;

import java.util.Arrays;

/**
 * An exact least-recently-used order over {@code (layer, unit)} keys, kept as groups of the
 * units touched together rather than as one entry per touch: the order of {@link ReactivePolicy}
 * at a fraction of its cost.
 *
 * <p>Touches come in groups that share a step stamp: a step's hits (one layer, ascending ids),
 * its promotions (one layer, ascending ids), a single new unit, and the prompt's units (all
 * layers, ascending unit then layer). The eviction order is the order of the groups, then the
 * order inside a group. A group is a bit set over a word range of its layer (dense) or a sorted
 * id list (sparse, when fewer than one member per two words remains). Every tracked unit is in
 * exactly one group: a step's hits are cleared from the older groups of their layer word by
 * word (AND-NOT), so eviction never meets a stale entry. Groups that lose all members are
 * dropped. Memory: at most 16 bytes per tracked unit in the groups plus a few ints per group;
 * nothing is allocated once the arenas have grown to the working size. Not thread-safe.
 */
final class GroupLru {

    private static final int NONE = -1;

    private int layers;
    private int maxUnits;
    private int evictedLayer;

    // The prompt's group: per layer bit sets, evicted in (unit, layer) order from a cursor.
    private long[][] prompt = new long[0][];
    private int[] promptLayerCount = new int[0];
    private long promptCount;
    private boolean promptOpen;
    private int promptStamp;
    private int promptLastUnit;
    private int promptLastLayer;
    private int cursorUnit;
    private int cursorLayer;

    // Group slots.
    private int[] gLayer = new int[0];
    private int[] gStamp = new int[0];
    private int[] gCount = new int[0];
    private int[] gOff = new int[0];       // dense: arena index of word 0 (may be negative)
    private int[] gLo = new int[0];        // dense: first word; sparse: arena index of the first id
    private int[] gHi = new int[0];        // dense: end word; sparse: arena end index
    private int[] gRefs = new int[0];      // references from the FIFO and the layer's list
    private boolean[] gDense = new boolean[0];
    private int[] freeSlots = new int[0];
    private int freeTop;

    // Every group with members, oldest first, and each layer's groups, oldest first.
    private int[] fifo = new int[64];
    private int fifoHead;
    private int fifoTail;
    private int[][] lists = new int[0][];
    private int[] listSize = new int[0];

    private long[] dense = new long[4096];
    private int denseTop;
    private int[] sparse = new int[4096];
    private int[] sparseSpare = new int[4096];
    private int sparseTop;

    /** Empties the order for {@code layers} layers of {@code maxUnits} units. */
    void start(int layers, int maxUnits) {
        int words = Math.ceilDiv(maxUnits, 64) + 1;
        if (this.layers != layers || prompt.length != layers || (layers > 0 && prompt[0].length < words)) {
            prompt = new long[layers][words];
            promptLayerCount = new int[layers];
            lists = new int[layers][16];
            listSize = new int[layers];
        } else {
            for (long[] p : prompt) {
                Arrays.fill(p, 0L);
            }
            Arrays.fill(promptLayerCount, 0);
            Arrays.fill(listSize, 0);
        }
        this.layers = layers;
        this.maxUnits = maxUnits;
        promptCount = 0;
        promptOpen = true;
        promptStamp = NONE;
        promptLastUnit = NONE;
        promptLastLayer = NONE;
        cursorUnit = 0;
        cursorLayer = 0;
        int slots = gLayer.length;
        freeTop = 0;
        for (int s = slots - 1; s >= 0; s--) {
            freeSlots[freeTop++] = s;
        }
        fifoHead = fifoTail = 0;
        denseTop = 0;
        sparseTop = 0;
    }

    /**
     * Touches one unit that no group holds (a new unit, a promotion outside a step): it joins the
     * prompt's group while units come in (unit, layer) order at one stamp, else it forms a group
     * of its own.
     */
    void touchOne(int layer, int unit, int stamp) {
        if (promptOpen && (promptStamp == NONE || promptStamp == stamp)
                && (unit > promptLastUnit || (unit == promptLastUnit && layer > promptLastLayer))) {
            promptStamp = stamp;
            promptLastUnit = unit;
            promptLastLayer = layer;
            prompt[layer][unit >>> 6] |= 1L << unit;
            promptLayerCount[layer]++;
            promptCount++;
            return;
        }
        promptOpen = false;
        int at = allocSparse(1);
        sparse[at] = unit;
        addGroup(layer, stamp, false, 0, at, at + 1, 1);
    }

    /**
     * Touches a step's hits: {@code hits[lo, hi)} of {@code layer} (units all tracked), cleared
     * from their older groups, then appended as one group in ascending id order.
     */
    void touchHits(int layer, long[] hits, int lo, int hi, int count, int stamp) {
        removeWords(layer, hits, lo, hi);
        touchWords(layer, hits, lo, hi, count, stamp);
    }

    /**
     * Drops the units {@code units[lo, hi)} of {@code layer} from their groups, word by word
     * (AND-NOT); units no group holds are ignored.
     */
    void removeWords(int layer, long[] hits, int lo, int hi) {
        promptOpen = false;
        if (promptLayerCount[layer] > 0) {
            long[] p = prompt[layer];
            int removed = 0;
            for (int w = lo; w < hi; w++) {
                long x = p[w];
                long h = hits[w];
                removed += Long.bitCount(x & h);
                p[w] = x & ~h;
            }
            promptLayerCount[layer] -= removed;
            promptCount -= removed;
        }
        int[] list = lists[layer];
        int n = listSize[layer];
        int out = 0;
        for (int i = 0; i < n; i++) {
            int g = list[i];
            if (gCount[g] > 0) {
                if (gDense[g]) {
                    andNotDense(g, hits, lo, hi);
                } else {
                    andNotSparse(g, hits, lo, hi);
                }
            }
            if (gCount[g] > 0) {
                list[out++] = g;
            } else {
                release(g);
            }
        }
        listSize[layer] = out;
    }

    /**
     * Touches units of {@code layer} that no group holds, given as bit words {@code units[lo, hi)}
     * ({@code count} units, words {@code lo} and {@code hi - 1} not empty), as one group in ascending
     * id order.
     */
    void touchWords(int layer, long[] units, int lo, int hi, int count, int stamp) {
        promptOpen = false;
        if (2 * count >= hi - lo) {
            int at = allocDense(hi - lo);
            System.arraycopy(units, lo, dense, at, hi - lo);
            addGroup(layer, stamp, true, at - lo, lo, hi, count);
        } else {
            int at = allocSparse(count);
            int k = at;
            for (int w = lo; w < hi; w++) {
                long h = units[w];
                while (h != 0) {
                    sparse[k++] = (w << 6) + Long.numberOfTrailingZeros(h);
                    h &= h - 1;
                }
            }
            addGroup(layer, stamp, false, 0, at, k, count);
        }
    }

    /**
     * Removes the least recently used unit, unless it was touched at {@code now} or later.
     *
     * @return its unit id (its layer then in {@link #evictedLayer()}), or -1 if there is none to evict
     */
    int evict(int now) {
        if (promptCount > 0) {
            if (promptStamp >= now) {
                return NONE;
            }
            while (cursorUnit < maxUnits) {
                long[] p = prompt[cursorLayer];
                int u = cursorUnit;
                int l = cursorLayer;
                if (++cursorLayer == layers) {
                    cursorLayer = 0;
                    cursorUnit++;
                }
                if ((p[u >>> 6] & (1L << u)) != 0) {
                    p[u >>> 6] &= ~(1L << u);
                    promptLayerCount[l]--;
                    promptCount--;
                    evictedLayer = l;
                    return u;
                }
            }
            throw new IllegalStateException("LRU: " + promptCount + " prompt units behind the eviction cursor");
        }
        while (fifoHead < fifoTail) {
            int g = fifo[fifoHead];
            if (gCount[g] == 0) {
                fifoHead++;
                release(g);
                continue;
            }
            if (gStamp[g] >= now) {
                return NONE;
            }
            int unit;
            if (gDense[g]) {
                int off = gOff[g];
                int w = gLo[g];
                long x = dense[off + w];
                unit = (w << 6) + Long.numberOfTrailingZeros(x);
                x &= x - 1;
                dense[off + w] = x;
                if (x == 0) {
                    int hi = gHi[g];
                    do {
                        w++;
                    } while (w < hi && dense[off + w] == 0);
                    gLo[g] = w;
                }
            } else {
                unit = sparse[gLo[g]++];
            }
            gCount[g]--;
            evictedLayer = gLayer[g];
            return unit;
        }
        return NONE;
    }

    /** Receives evicted units a word at a time, in eviction order. */
    interface Victims {
        /** The units {@code word * 64 + i} of {@code layer} for the set bits {@code i} of {@code bits}, ascending. */
        void evicted(int layer, int word, long bits);
    }

    /**
     * Evicts up to {@code wanted} least recently used units, as {@link #evict} one at a time would,
     * into {@code plan}'s demotions (a word of a group at a time).
     *
     * @return the number evicted: {@code wanted} unless the units left were all touched at
     *     {@code now} or later
     */
    int evictInto(int now, int wanted, MigrationPlan plan) {
        return evictInto(now, wanted, plan, null);
    }

    /**
     * As {@link #evictInto(int, int, MigrationPlan)}, handing every word of victims to {@code
     * victims} as well (unless it is null), after the plan.
     */
    int evictInto(int now, int wanted, MigrationPlan plan, Victims victims) {
        int done = 0;
        while (done < wanted) {
            if (promptCount > 0) {
                int unit = evict(now);
                if (unit < 0) {
                    break;
                }
                plan.demote(evictedLayer, unit);
                if (victims != null) {
                    victims.evicted(evictedLayer, unit >>> 6, 1L << unit);
                }
                done++;
                continue;
            }
            if (fifoHead == fifoTail) {
                break;
            }
            int g = fifo[fifoHead];
            if (gCount[g] == 0) {
                fifoHead++;
                release(g);
                continue;
            }
            if (gStamp[g] >= now) {
                break;
            }
            if (!gDense[g]) {
                int take = Math.min(wanted - done, gCount[g]);
                for (int i = 0; i < take; i++) {
                    int unit = sparse[gLo[g]++];
                    plan.demote(gLayer[g], unit);
                    if (victims != null) {
                        victims.evicted(gLayer[g], unit >>> 6, 1L << unit);
                    }
                }
                gCount[g] -= take;
                done += take;
                continue;
            }
            int off = gOff[g];
            int w = gLo[g];
            long x = dense[off + w];
            int c = Long.bitCount(x);
            int left = wanted - done;
            long taken;
            if (c <= left) {
                taken = x;
            } else {
                taken = Long.expand((1L << left) - 1, x); // the lowest left units
                c = left;
            }
            plan.demoteWord(gLayer[g], w, taken);
            if (victims != null) {
                victims.evicted(gLayer[g], w, taken);
            }
            x &= ~taken;
            dense[off + w] = x;
            gCount[g] -= c;
            done += c;
            if (x == 0 && gCount[g] > 0) {
                int hi = gHi[g];
                do {
                    w++;
                } while (w < hi && dense[off + w] == 0);
                gLo[g] = w;
            }
        }
        return done;
    }

    /** The layer of the unit the last successful {@link #evict} returned. */
    int evictedLayer() {
        return evictedLayer;
    }

    /** Drops a unit from the order if a group holds it (a rare correction: linear in its layer's groups). */
    void remove(int layer, int unit) {
        long bit = 1L << unit;
        int w = unit >>> 6;
        if ((prompt[layer][w] & bit) != 0) {
            prompt[layer][w] &= ~bit;
            promptLayerCount[layer]--;
            promptCount--;
            return;
        }
        for (int i = 0; i < listSize[layer]; i++) {
            int g = lists[layer][i];
            if (gCount[g] == 0) {
                continue;
            }
            if (gDense[g]) {
                if (w >= gLo[g] && w < gHi[g] && (dense[gOff[g] + w] & bit) != 0) {
                    dense[gOff[g] + w] &= ~bit;
                    gCount[g]--;
                    shrinkDense(g);
                    return;
                }
            } else {
                for (int j = gLo[g]; j < gHi[g]; j++) {
                    if (sparse[j] == unit) {
                        System.arraycopy(sparse, j + 1, sparse, j, gHi[g] - j - 1);
                        gHi[g]--;
                        gCount[g]--;
                        return;
                    }
                }
            }
        }
    }

    private void andNotDense(int g, long[] hits, int lo, int hi) {
        int a = Math.max(lo, gLo[g]);
        int b = Math.min(hi, gHi[g]);
        if (a >= b) {
            return;
        }
        int off = gOff[g];
        long[] d = dense;
        int removed = 0;
        for (int w = a; w < b; w++) {
            long x = d[off + w];
            long h = hits[w];
            removed += Long.bitCount(x & h);
            d[off + w] = x & ~h;
        }
        if (removed == 0) {
            return;
        }
        gCount[g] -= removed;
        shrinkDense(g);
    }

    // Trims zero words at both ends; turns a group into a sorted list below one member per two words.
    private void shrinkDense(int g) {
        int c = gCount[g];
        if (c == 0) {
            return;
        }
        int off = gOff[g];
        int lo = gLo[g];
        int hi = gHi[g];
        while (dense[off + lo] == 0) {
            lo++;
        }
        while (dense[off + hi - 1] == 0) {
            hi--;
        }
        gLo[g] = lo;
        gHi[g] = hi;
        if (2 * c < hi - lo) {
            int at = allocSparse(c);
            off = gOff[g];
            int k = at;
            for (int w = lo; w < hi; w++) {
                long x = dense[off + w];
                while (x != 0) {
                    sparse[k++] = (w << 6) + Long.numberOfTrailingZeros(x);
                    x &= x - 1;
                }
            }
            gDense[g] = false;
            gLo[g] = at;
            gHi[g] = k;
        }
    }

    private void andNotSparse(int g, long[] hits, int lo, int hi) {
        int out = gLo[g];
        int end = gHi[g];
        int[] s = sparse;
        for (int i = out; i < end; i++) {
            int id = s[i];
            int w = id >>> 6;
            if (w < lo || w >= hi || (hits[w] & (1L << id)) == 0) {
                s[out++] = id;
            }
        }
        gHi[g] = out;
        gCount[g] = out - gLo[g];
    }

    private void addGroup(int layer, int stamp, boolean isDense, int off, int lo, int hi, int count) {
        if (freeTop == 0) {
            growSlots();
        }
        int g = freeSlots[--freeTop];
        gLayer[g] = layer;
        gStamp[g] = stamp;
        gDense[g] = isDense;
        gOff[g] = off;
        gLo[g] = lo;
        gHi[g] = hi;
        gCount[g] = count;
        gRefs[g] = 2;
        if (fifoTail == fifo.length) {
            compactFifo();
        }
        fifo[fifoTail++] = g;
        if (listSize[layer] == lists[layer].length) {
            lists[layer] = Arrays.copyOf(lists[layer], lists[layer].length * 2);
        }
        lists[layer][listSize[layer]++] = g;
    }

    private void release(int g) {
        if (--gRefs[g] == 0) {
            freeSlots[freeTop++] = g;
        }
    }

    private void growSlots() {
        int old = gLayer.length;
        int n = Math.max(64, old * 2);
        gLayer = Arrays.copyOf(gLayer, n);
        gStamp = Arrays.copyOf(gStamp, n);
        gCount = Arrays.copyOf(gCount, n);
        gOff = Arrays.copyOf(gOff, n);
        gLo = Arrays.copyOf(gLo, n);
        gHi = Arrays.copyOf(gHi, n);
        gRefs = Arrays.copyOf(gRefs, n);
        gDense = Arrays.copyOf(gDense, n);
        freeSlots = Arrays.copyOf(freeSlots, n);
        for (int s = n - 1; s >= old; s--) {
            freeSlots[freeTop++] = s;
        }
    }

    // Drops the groups without members; grows the FIFO when live groups fill half of it.
    private void compactFifo() {
        int out = 0;
        for (int i = fifoHead; i < fifoTail; i++) {
            int g = fifo[i];
            if (gCount[g] > 0) {
                fifo[out++] = g;
            } else {
                release(g);
            }
        }
        fifoHead = 0;
        fifoTail = out;
        if (out > fifo.length / 2) {
            fifo = Arrays.copyOf(fifo, fifo.length * 2);
        }
    }

    // Dense groups are allocated in FIFO order, so compaction moves each one down in that order.
    private int allocDense(int n) {
        if (denseTop + n > dense.length) {
            int top = 0;
            for (int i = fifoHead; i < fifoTail; i++) {
                int g = fifo[i];
                if (gCount[g] > 0 && gDense[g]) {
                    int len = gHi[g] - gLo[g];
                    System.arraycopy(dense, gOff[g] + gLo[g], dense, top, len);
                    gOff[g] = top - gLo[g];
                    top += len;
                }
            }
            denseTop = top;
            if (denseTop + n > dense.length / 2) {
                dense = Arrays.copyOf(dense, Math.max(dense.length, denseTop + n) * 2);
            }
        }
        int at = denseTop;
        denseTop += n;
        return at;
    }

    // Sparse groups are allocated out of FIFO order (on conversion), so compaction copies to a spare.
    private int allocSparse(int n) {
        if (sparseTop + n > sparse.length) {
            if (sparseSpare.length < sparse.length) {
                sparseSpare = new int[sparse.length];
            }
            int top = 0;
            for (int i = fifoHead; i < fifoTail; i++) {
                int g = fifo[i];
                if (gCount[g] > 0 && !gDense[g]) {
                    int len = gHi[g] - gLo[g];
                    System.arraycopy(sparse, gLo[g], sparseSpare, top, len);
                    gLo[g] = top;
                    gHi[g] = top + len;
                    top += len;
                }
            }
            int[] t = sparse;
            sparse = sparseSpare;
            sparseSpare = t;
            sparseTop = top;
            if (sparseTop + n > sparse.length / 2) {
                sparse = Arrays.copyOf(sparse, Math.max(sparse.length, sparseTop + n) * 2);
            }
        }
        int at = sparseTop;
        sparseTop += n;
        return at;
    }
}
