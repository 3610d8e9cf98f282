package org.kvplace.core.placement;

import java.util.Arrays;
import org.kvplace.core.trace.Bits;
import org.kvplace.core.trace.StepReads;

/**
 * Adaptive replacement (ARC, Megiddo and Modha, FAST 2003), the replacement policy of
 * production KV offloading connectors, over all layers' units: the baseline an online policy
 * must beat.
 *
 * <p>The fast tier holds {@code T1} (units read once since they came in) and {@code T2} (read
 * again); the ghost lists {@code B1} and {@code B2} remember units recently evicted from each
 * (ids only, no data). Every unit a step reads from the slow tier is promoted after the step, as
 * in {@link ReactivePolicy}: into {@code T2} if a ghost list remembered it, else into {@code T1}.
 * A fast hit moves the unit to the most recent end of {@code T2}. The cache size {@code c} is the
 * fast tier's room in units; the ghost lists keep {@code |T1| + |B1| <= c} and the whole
 * directory within {@code 2c}. New units enter {@code T1} like a miss.
 *
 * <p><b>A step's reads are one request.</b> ARC was defined for a stream of single requests; a
 * step reads a set of units, with no order among them. Taking them one by one in id order would
 * make the outcome depend on how units are numbered (the target {@code p} would swing with
 * whichever ghost list's units come first), so a step is applied as one batch: its hits move to
 * {@code T2} (in id order, the order of every list's entries made at one step); then {@code p}
 * adapts once for all its misses that ghost lists held, by ARC's rule at the sizes the step found
 * (each {@code B1} hit grows it by {@code max(1, |B2| / |B1|)}, each {@code B2} hit shrinks it by
 * {@code max(1, |B1| / |B2|)}, clamped to {@code [0, c]}); the room the misses need beyond the
 * free room comes from the least recently used units of {@code T1} while {@code |T1| > p}, then
 * of {@code T2} (either list covers what the other cannot give), each to the ghost list of its
 * side; the misses enter their lists; the ghost lists are trimmed from their oldest end to the
 * bounds above. A unit read at the step is never evicted: when the lists hold too few others,
 * the lowest misses that fit are promoted and the rest stay slow (then {@code p} adapts for the
 * promoted ones only). A single miss is exactly ARC's step (less its tie rule at {@code |T1| = p}).
 *
 * <p>State: each list is a membership bit set over all layers' units plus its order. {@code T1}
 * and {@code T2} keep theirs as {@code GroupLru} orders (a step's hits one group, its ghost hits
 * and its new misses a group each; hits leave their older groups word by word; victims leave
 * the oldest groups a word at a time). {@code B1} and {@code B2} keep theirs as logs of word
 * entries (word, bits, batch), oldest first, with lazy deletion: a unit that leaves a ghost list
 * only loses its membership bit, and the batch that last put each unit in a ghost list tells its
 * live entry from a stale one when the head reaches it. A step costs a pass over its words plus
 * work per word of victims and per ghost-log entry its trims pass. No allocation per step once
 * the orders and logs have grown to the working size. Not thread-safe.
 */
public final class ArcPolicy implements PlacementPolicy {

    private static final int NONE = 0, T1 = 1, T2 = 2, B1 = 3, B2 = 4;

    private final long[][] member = new long[5][0];  // per list, bit per key; word = layer << shift | w
    private final GroupLru[] order = {null, new GroupLru(), new GroupLru()}; // T1, T2
    private final Log[] logs = {null, null, null, new Log(B1), new Log(B2)}; // B1, B2
    private final int[] size = new int[5];
    private int[] joined = new int[0];  // per key (word * 64 + bit): the batch that put it in its ghost list
    private int batch;                   // ghost-list batches so far
    private int shift;                   // log2 of the words per layer, rounded up
    private int c;
    private double target;               // p: the target size of T1
    private int now;                     // the step counter; units placed at it are not evicted
    private final ToGhosts toGhosts = new ToGhosts();
    private long[] missed = new long[0];
    private long[] hits = new long[0];     // per word of the step's layer: its fast hits
    private long[] ghostHits = new long[0]; // its promoted misses a ghost list held
    private long[] fresh = new long[0];     // its other promoted misses

    /** Creates the policy. */
    public ArcPolicy() {}

    @Override
    public String name() {
        return "arc";
    }

    @Override
    public void start(Placement placement) {
        int words = Bits.words(placement.maxUnits());
        int sh = 32 - Integer.numberOfLeadingZeros(Math.max(1, words) - 1);
        long keys = ((long) placement.layers() << sh) * 64;
        if (keys >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("arc: " + placement.layers() + " layers x " + placement.maxUnits()
                    + " units exceeds the supported 2^31 unit-layers (units rounded up to a power of two per layer)");
        }
        shift = sh;
        int n = placement.layers() << sh;
        for (int l = T1; l <= B2; l++) {
            if (member[l].length < n) {
                member[l] = new long[n];
            } else {
                Arrays.fill(member[l], 0, n, 0L);
            }
        }
        order[T1].start(placement.layers(), placement.maxUnits());
        order[T2].start(placement.layers(), placement.maxUnits());
        logs[B1].clear();
        logs[B2].clear();
        batch = 0;
        if (joined.length < keys) {
            joined = new int[(int) keys];
        }
        if (missed.length < words) {
            missed = new long[words];
            hits = new long[words];
            ghostHits = new long[words];
            fresh = new long[words];
        }
        Arrays.fill(size, 0);
        c = (int) Math.min(Integer.MAX_VALUE / 2, placement.fastCapacityBytes() / placement.unitBytes());
        target = 0;
        now = 1;
    }

    @Override
    public boolean placeNew(int layer, int unit, Lookahead future, Placement placement, MigrationPlan plan) {
        long fr = placement.fastFreeBytes();
        // Below zero after a live driver's correction: one demotion per missing unit.
        while (fr < placement.unitBytes()) {
            if (!replace(false, plan)) {
                return false;
            }
            fr += placement.unitBytes();
        }
        admitNew(key(layer, unit));
        return true;
    }

    @Override
    public void plan(StepReads reads, Lookahead future, Placement placement, MigrationPlan plan) {
        now++;
        int layer = reads.layer();
        int base = layer << shift;
        long[] r = reads.readBits();
        long[] f = placement.fastBits(layer);
        long[] t1 = member[T1], t2 = member[T2], b1 = member[B1], b2 = member[B2];
        long[] m = missed;
        long[] h = hits;
        int words = Bits.words(reads.unitCount());
        int left1 = 0, leftB1 = 0, leftB2 = 0, joined2 = 0, nh = 0, lo = -1, hi = 0;
        int misses = 0, missB1 = 0, missB2 = 0;
        for (int w = 0; w < words; w++) {
            long rw = r[w];
            long hit = rw & f[w];
            long x = rw & ~f[w];
            m[w] = x;
            h[w] = hit;
            int gw = base + w;
            if (x != 0) {
                if ((x & (t1[gw] | t2[gw])) != 0) {
                    lost(layer, w, x & (t1[gw] | t2[gw]));
                }
                misses += Long.bitCount(x);
                missB1 += Long.bitCount(x & b1[gw]);
                missB2 += Long.bitCount(x & b2[gw]);
            }
            if (hit != 0) {
                nh += Long.bitCount(hit);
                lo = lo < 0 ? w : lo;
                hi = w + 1;
                long from1 = t1[gw] & hit;
                if (from1 != 0) {
                    left1 += Long.bitCount(from1);
                    t1[gw] &= ~hit;
                }
                if (((b1[gw] | b2[gw]) & hit) != 0) { // fast units a ghost list holds: not after a correction
                    int n1 = Long.bitCount(b1[gw] & hit);
                    int n2 = Long.bitCount(b2[gw] & hit);
                    leftB1 += n1;
                    leftB2 += n2;
                    b1[gw] &= ~hit;
                    b2[gw] &= ~hit;
                }
                joined2 += Long.bitCount(hit & ~t2[gw]);
                t2[gw] |= hit;
            }
        }
        if (left1 > 0) {
            order[T1].removeWords(layer, h, lo, hi);
        }
        if (nh > 0) {
            order[T2].touchHits(layer, h, lo, hi, nh, now);
        }
        size[T1] -= left1;
        size[B1] -= leftB1;
        size[B2] -= leftB2;
        size[T2] += joined2;
        if (misses == 0) {
            return;
        }
        long fr = placement.fastFreeBytes();
        long ub = placement.unitBytes();
        long room = fr <= 0 ? 0 : Math.min(misses, fr / ub);
        int need = misses - (int) room;
        int spare1 = size[T1];          // the step placed nothing in T1 yet
        int spare2 = size[T2] - nh;     // its hits are T2's newest
        if (need > spare1 + spare2) {
            // Blocked: every unit not read at the step makes room, for the lowest misses (the
            // others are cleared from the step's misses here).
            need = spare1 + spare2;
            int ghost1 = 0, ghost2 = 0, left = (int) room + need;
            for (int w = 0; w < words; w++) {
                long x = m[w];
                if (Long.bitCount(x) > left) {
                    x = Long.expand((1L << left) - 1, x);
                    m[w] = x;
                }
                ghost1 += Long.bitCount(x & b1[base + w]);
                ghost2 += Long.bitCount(x & b2[base + w]);
                left -= Long.bitCount(x);
            }
            adapt(ghost1, ghost2);
        } else {
            adapt(missB1, missB2);
        }
        // T1 gives victims while it is above its target, then T2, then T1 again if T2 runs out.
        int from1 = (int) Math.min(Math.min(need, spare1), Math.max(0, Math.ceil(size[T1] - target)));
        int from2 = Math.min(need - from1, spare2);
        int then1 = need - from1 - from2;
        evict(T1, from1, plan);
        evict(T2, from2, plan);
        evict(T1, then1, plan);
        long[] gh = ghostHits, fw = fresh;
        int nGhost = 0, nFresh = 0, glo = -1, ghi = 0, flo = -1, fhi = 0;
        for (int w = 0; w < words; w++) {
            long x = m[w];
            int gw = base + w;
            long g1 = x & b1[gw], g2 = x & b2[gw];
            long ghost = g1 | g2;
            long neu = x & ~ghost;
            gh[w] = ghost;
            fw[w] = neu;
            if (x == 0) {
                continue;
            }
            if (g1 != 0) {
                b1[gw] &= ~g1;
                size[B1] -= Long.bitCount(g1);
            }
            if (g2 != 0) {
                b2[gw] &= ~g2;
                size[B2] -= Long.bitCount(g2);
            }
            if (ghost != 0) {
                t2[gw] |= ghost;
                nGhost += Long.bitCount(ghost);
                glo = glo < 0 ? w : glo;
                ghi = w + 1;
            }
            if (neu != 0) {
                t1[gw] |= neu;
                nFresh += Long.bitCount(neu);
                flo = flo < 0 ? w : flo;
                fhi = w + 1;
            }
            plan.promoteWord(layer, w, x);
        }
        if (nGhost > 0) {
            size[T2] += nGhost;
            order[T2].touchWords(layer, gh, glo, ghi, nGhost, now);
        }
        if (nFresh > 0) {
            size[T1] += nFresh;
            order[T1].touchWords(layer, fw, flo, fhi, nFresh, now);
        }
        // The directory as ARC keeps it: |T1| + |B1| <= c, everything within 2c.
        int over1 = Math.min(size[B1], size[T1] + size[B1] - c);
        if (over1 > 0) {
            drop(B1, over1);
        }
        int over2 = Math.min(size[B2], size[T1] + size[T2] + size[B1] + size[B2] - 2 * c);
        if (over2 > 0) {
            drop(B2, over2);
        }
    }

    // ARC's adaptation for the step's misses that ghost lists held: B1 hits grow the target size
    // of T1, B2 hits shrink it, each by the larger of 1 and the other ghost list's size over its own.
    private void adapt(int ghost1, int ghost2) {
        double p = target;
        if (ghost1 > 0) {
            p += ghost1 * Math.max(1.0, (double) size[B2] / size[B1]);
        }
        if (ghost2 > 0) {
            p -= ghost2 * Math.max(1.0, (double) size[B1] / size[B2]);
        }
        target = Math.max(0, Math.min(c, p));
    }

    private static void lost(int layer, int w, long lost) {
        throw new IllegalStateException("arc: unit " + ((w << 6) + Long.numberOfTrailingZeros(lost))
                + " of layer " + layer + " was read from the slow tier, but the policy placed it in the fast"
                + " tier: a move was not reported through placementChanged");
    }

    /**
     * A unit sits in another tier than planned (a live driver could not move it): a unit found in
     * the fast tier enters {@code T1} as just used; one found in the slow tier leaves {@code T1} or
     * {@code T2} for the ghost list of its side, as if evicted.
     */
    @Override
    public void placementChanged(int layer, int unit, boolean fast) {
        int k = key(layer, unit);
        int in = where(k);
        if (fast && in != T1 && in != T2) {
            unlink(k);
            append(T1, k);
        } else if (!fast && (in == T1 || in == T2)) {
            unlink(k);
            append(in == T1 ? B1 : B2, k);
        }
    }

    private int key(int layer, int unit) {
        return ((layer << shift) << 6) + unit;
    }

    // Moves up to n least recently placed units of T1 or T2 (none placed at this step) to its
    // ghost list, in that order; returns how many.
    private int evict(int list, int n, MigrationPlan plan) {
        if (n <= 0) {
            return 0;
        }
        int ghost = list == T1 ? B1 : B2;
        ToGhosts v = toGhosts;
        v.from = member[list];
        v.to = member[ghost];
        v.log = logs[ghost];
        v.at = ++batch;
        int got = order[list].evictInto(now, n, plan, v);
        size[list] -= got;
        size[ghost] += got;
        return got;
    }

    // The victims of one eviction: out of their list's membership, into the ghost list's.
    private final class ToGhosts implements GroupLru.Victims {
        long[] from;
        long[] to;
        Log log;
        int at;

        @Override
        public void evicted(int layer, int word, long bits) {
            int gw = (layer << shift) + word;
            from[gw] &= ~bits;
            to[gw] |= bits;
            log.append(gw, bits, at);
        }
    }

    // Forgets the n least recently placed units of a ghost list.
    private void drop(int list, int n) {
        Log log = logs[list];
        long[] in = member[list];
        size[list] -= n;
        while (n > 0) {
            long t = log.take(n);
            in[log.takenWord] &= ~t;
            n -= Long.bitCount(t);
        }
    }

    // A unit no ghost list remembers enters T1; the directory is trimmed as ARC prescribes.
    private void admitNew(int k) {
        int in = where(k);
        if (in == B1 || in == B2) {
            unlink(k);
        }
        if (size[T1] + size[B1] >= c && size[B1] > 0) {
            drop(B1, 1);
        } else if (size[T1] + size[T2] + size[B1] + size[B2] >= 2 * c && size[B2] > 0) {
            drop(B2, 1);
        }
        append(T1, k);
    }

    // Evicts one fast unit (LRU of T1 or T2, as ARC chooses), not one read at this step.
    private boolean replace(boolean inB2, MigrationPlan plan) {
        boolean fromT1 = size[T1] > 0 && (size[T1] > target || (inB2 && size[T1] == (int) target));
        if (evictFrom(fromT1 ? T1 : T2, plan)) {
            return true;
        }
        return evictFrom(fromT1 ? T2 : T1, plan);
    }

    private boolean evictFrom(int list, MigrationPlan plan) {
        return evict(list, 1, plan) == 1;
    }

    private int where(int k) {
        int gw = k >>> 6;
        long bit = 1L << k;
        for (int l = T1; l <= B2; l++) {
            if ((member[l][gw] & bit) != 0) {
                return l;
            }
        }
        return NONE;
    }

    private void unlink(int k) {
        int l = where(k);
        if (l == NONE) {
            return;
        }
        member[l][k >>> 6] &= ~(1L << k);
        size[l]--;
        if (l == T1 || l == T2) {
            order[l].remove((k >>> 6) >>> shift, k & ((64 << shift) - 1));
        }
        // A ghost list's log keeps the entry; its bit, now cleared, marks it stale.
    }

    private void append(int l, int k) {
        member[l][k >>> 6] |= 1L << k;
        size[l]++;
        if (l == T1 || l == T2) {
            order[l].touchOne((k >>> 6) >>> shift, k & ((64 << shift) - 1), now);
        } else {
            logs[l].append(k >>> 6, 1L << k, ++batch);
        }
    }

    @Override
    public String toString() {
        return "arc";
    }

    /**
     * A ghost list's order: entries (word, bits, batch), oldest first. A unit that leaves the list
     * only loses its membership bit; its entry keeps a stale bit, told apart when the head reaches
     * it (a live bit is a member whose {@link #joined} batch is the entry's: a unit that left and
     * came back lives only in its newer entry). Entries with no live bit are skipped at the head
     * and dropped when a full log is compacted.
     */
    private final class Log {

        private int[] word = new int[256];
        private long[] bits = new long[256];
        private int[] at = new int[256];
        int takenWord;
        private int head;
        private int end;

        private final int list;
        private long[] in = new long[0];   // the list's membership bits

        Log(int list) {
            this.list = list;
        }

        /** Empties the log (after {@link #start} has sized the membership bits). */
        void clear() {
            head = 0;
            end = 0;
            in = member[list];
        }

        /**
         * Appends units of one word that join at batch {@code b}; joins the last entry when it has
         * the same word and batch and lower bits.
         */
        void append(int gw, long x, int b) {
            int last = end - 1;
            if (end > head && word[last] == gw && at[last] == b
                    && Long.numberOfTrailingZeros(x) > 63 - Long.numberOfLeadingZeros(bits[last])) {
                bits[last] |= x;
            } else {
                if (end == word.length) {
                    compact();
                }
                int i = end++;
                word[i] = gw;
                bits[i] = x;
                at[i] = b;
            }
            int k0 = gw << 6;
            int[] j = joined;
            for (long y = x; y != 0; y &= y - 1) {
                j[k0 + Long.numberOfTrailingZeros(y)] = b;
            }
        }

        // The members of entry i still placed by it.
        private long live(int i) {
            int gw = word[i];
            long x = bits[i] & in[gw];
            if (x == 0) {
                return 0;
            }
            int b = at[i];
            int k0 = gw << 6;
            int[] j = joined;
            for (long y = x; y != 0; y &= y - 1) {
                int t = Long.numberOfTrailingZeros(y);
                if (j[k0 + t] != b) {
                    x &= ~(1L << t);
                }
            }
            return x;
        }

        /**
         * The lowest {@code want} (at least one) units of the list's order, or fewer when the first
         * entry with live members has fewer, as bits of word {@link #takenWord}; they leave the
         * entry (the caller ends their membership). The list must have a member.
         */
        long take(int want) {
            long x;
            while ((x = live(head)) == 0) {
                head++;
            }
            long t = Long.bitCount(x) > want ? Long.expand((1L << want) - 1, x) : x; // lowest want
            bits[head] = x & ~t;
            takenWord = word[head];
            return t;
        }

        // Drops the entries without live members, moving the rest down; grows the arrays when the
        // rest fill a quarter of them (so that a compaction frees at least three quarters).
        private void compact() {
            int out = 0;
            for (int i = head; i < end; i++) {
                long x = live(i);
                if (x != 0) {
                    word[out] = word[i];
                    bits[out] = x;
                    at[out] = at[i];
                    out++;
                }
            }
            head = 0;
            end = out;
            if (out > word.length / 4) {
                int n = word.length * 2;
                word = Arrays.copyOf(word, n);
                bits = Arrays.copyOf(bits, n);
                at = Arrays.copyOf(at, n);
            }
        }
    }
}
