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
 * in {@link ReactivePolicy}: into {@code T2} if a ghost list remembered it (a hit in {@code B1}
 * grows the target size {@code p} of {@code T1}, a hit in {@code B2} shrinks it), else into
 * {@code T1}. Room comes from the least recently used unit of {@code T1} when {@code |T1| > p},
 * else of {@code T2}; it moves to the ghost list of its side. A fast hit moves the unit to the
 * most recent end of {@code T2}. A unit read at the current step is never evicted (then the
 * other list is tried, and when neither has a victim the remaining misses stay slow). The cache
 * size {@code c} is the fast tier's room in units; the ghost lists keep {@code |T1| + |B1| <= c}
 * and the whole directory within {@code 2c}. New units enter {@code T1} like a miss. A step's
 * hits are handled first, in ascending id order, then its misses, in ascending id order.
 *
 * <p>State: each list is a membership bit set over all layers' units and a log of its entries in
 * list order, each entry a word of units of one layer that joined the list together (a step's
 * hits in one word, consecutive promotions into one word) with the step at which they joined;
 * every member is in exactly one entry, which a per-unit index names. The least recently used
 * unit is the lowest bit of the log's first non-empty entry; a unit that leaves or moves clears
 * its bit, an entry at a time for units that joined together (as a layer's units read at
 * consecutive steps did). Misses go a word at a time, in runs of units that the same ghost list
 * (or none) holds: ARC's decisions for a run are first worked out on the list sizes alone (the
 * units placed at the step are the only ones it may not evict, and they are the lists' newest,
 * so a list can give a victim while it holds more units than the step placed in it), and the
 * longest stretch along which every miss takes the same path (same victim list, same trim) is
 * carried out at once: its victims taken an entry at a time from the head, its promotions
 * appended as one entry. Once the sizes stop changing from miss to miss (a victim for every
 * miss, the target at its bound) the rest of the stretch follows without further steps. No
 * allocation per step once the logs have grown to the working size. Not thread-safe.
 */
public final class ArcPolicy implements PlacementPolicy {

    private static final int NONE = 0, T1 = 1, T2 = 2, B1 = 3, B2 = 4;

    private final long[][] member = new long[5][0];  // per list, bit per key; word = layer << shift | w
    private final Log[] logs = {null, new Log(), new Log(), new Log(), new Log()};
    private final int[] size = new int[5];
    private final int[] placed = new int[5];  // units placed in T1 / T2 at this step (not evictable)
    private int[] pos = new int[0];     // per key (word * 64 + bit): the index of its entry in its list's log
    private int shift;                   // log2 of the words per layer, rounded up
    private int c;
    private double target;               // p: the target size of T1
    private int now;                     // the step counter; units placed at it are not evicted
    private long[] missed = new long[0];
    private long free;                   // fast bytes free during a step
    private boolean blocked;             // a miss of the step found no victim
    private long unitBytes;

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
            logs[l].clear();
        }
        if (pos.length < keys) {
            pos = new int[(int) keys];
        }
        if (missed.length < words) {
            missed = new long[words];
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
        int e = now;
        Log log1 = logs[T1], log2 = logs[T2];
        long[] m = missed;
        int words = Bits.words(reads.unitCount());
        int left1 = 0, leftB1 = 0, leftB2 = 0, joined2 = 0, hits = 0;
        for (int w = 0; w < words; w++) {
            long rw = r[w];
            long hit = rw & f[w];
            m[w] = rw & ~f[w];
            if (hit != 0) {
                int gw = base + w;
                hits += Long.bitCount(hit);
                long from1 = t1[gw] & hit;
                if (from1 != 0) {
                    left1 += Long.bitCount(from1);
                    t1[gw] &= ~hit;
                    log1.leave(gw, from1);
                }
                if (((b1[gw] | b2[gw]) & hit) != 0) { // fast units a ghost list holds: not after a correction
                    int n1 = Long.bitCount(b1[gw] & hit);
                    int n2 = Long.bitCount(b2[gw] & hit);
                    leftB1 += n1;
                    leftB2 += n2;
                    logs[B1].leave(gw, b1[gw] & hit);
                    logs[B2].leave(gw, b2[gw] & hit);
                    b1[gw] &= ~hit;
                    b2[gw] &= ~hit;
                }
                long from2 = t2[gw] & hit;
                joined2 += Long.bitCount(hit & ~from2);
                t2[gw] |= hit;
                if (from2 != 0) {
                    log2.leave(gw, from2);
                }
                log2.append(gw, hit, e);
            }
        }
        size[T1] -= left1;
        size[B1] -= leftB1;
        size[B2] -= leftB2;
        size[T2] += joined2;
        placed[T1] = 0;
        placed[T2] = hits;
        free = placement.fastFreeBytes();
        unitBytes = placement.unitBytes();
        for (int w = 0; w < words; w++) {
            long x = m[w];
            if (x != 0 && !missWord(layer, w, x, plan)) {
                break;
            }
        }
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

    /**
     * The misses {@code x} of word {@code w}, in runs of consecutive misses that a ghost list
     * holds alike (or that none holds), each run in stretches along which ARC takes the same path
     * (worked out on the sizes first); false when a miss finds no victim (the rest stay slow).
     */
    private boolean missWord(int layer, int w, long x, MigrationPlan plan) {
        int gw = (layer << shift) + w;
        long lost = x & (member[T1][gw] | member[T2][gw]);
        if (lost != 0) {
            throw new IllegalStateException("arc: unit " + ((w << 6) + Long.numberOfTrailingZeros(lost))
                    + " of layer " + layer + " was read from the slow tier, but the policy placed it in the fast"
                    + " tier: a move was not reported through placementChanged");
        }
        while (x != 0) {
            // membership read afresh: a trim may have just dropped a later miss from a ghost list
            long inB1 = x & member[B1][gw];
            long inB2 = x & member[B2][gw];
            long low = x & -x;
            int ghost = (inB1 & low) != 0 ? B1 : (inB2 & low) != 0 ? B2 : NONE;
            long alike = ghost == B1 ? inB1 : ghost == B2 ? inB2 : x & ~(inB1 | inB2);
            long other = x & ~alike;
            long run = other == 0 ? x : x & ((other & -other) - 1);
            x &= ~missRun(layer, w, run, ghost, plan);
            if (blocked) {
                return false;
            }
        }
        return true;
    }

    /**
     * The longest first stretch of {@code run} (misses of word {@code w} that ghost list {@code
     * ghost}, or none, holds) along which ARC takes one path, carried out at once.
     *
     * @return the misses done; {@link #blocked} tells whether the next one found no victim (its
     *     change of the target is kept, as ARC makes it before looking for a victim)
     */
    private long missRun(int layer, int w, long run, int ghost, MigrationPlan plan) {
        int n = Long.bitCount(run);
        double p = target;
        int s1 = size[T1], s2 = size[T2], g1 = size[B1], g2 = size[B2];
        int p1 = placed[T1], p2 = placed[T2];
        long fr = free;
        long ub = unitBytes;
        int path = -1;
        int count = 0;
        double stuck = Double.NaN;
        for (; count < n; count++) {
            double q = p;
            int t1 = s1, t2 = s2, h1 = g1, h2 = g2, q1 = p1, q2 = p2;
            long f = fr;
            if (ghost == B1) {
                double r = (double) h2 / h1;
                double up = q + (r > 1.0 ? r : 1.0);
                q = up < c ? up : c;
            } else if (ghost == B2) {
                double r = (double) h1 / h2;
                double down = q - (r > 1.0 ? r : 1.0);
                q = down > 0 ? down : 0;
            }
            int victim = NONE;
            if (f < ub) {
                boolean fromT1 = t1 > 0 && (t1 > q || (ghost == B2 && t1 == (int) q));
                victim = fromT1 ? T1 : T2;
                if ((victim == T1 ? t1 - q1 : t2 - q2) <= 0) {
                    victim = fromT1 ? T2 : T1;
                    if ((victim == T1 ? t1 - q1 : t2 - q2) <= 0) {
                        stuck = q;
                        break;
                    }
                }
                if (victim == T1) {
                    t1--;
                    h1++;
                } else {
                    t2--;
                    h2++;
                }
            } else {
                f -= ub;
            }
            int trim = NONE;
            if (ghost == B1) {
                h1--;
                t2++;
                q2++;
            } else if (ghost == B2) {
                h2--;
                t2++;
                q2++;
            } else {
                if (t1 + h1 >= c && h1 > 0) {
                    trim = B1;
                    h1--;
                } else if (t1 + t2 + h1 + h2 >= 2 * c && h2 > 0) {
                    trim = B2;
                    h2--;
                }
                t1++;
                q1++;
            }
            int at = victim * 8 + trim;
            if (path >= 0 && path != at) {
                break;
            }
            path = at;
            if (victim != NONE && q == p && t1 == s1 && t2 == s2 && h1 == g1 && h2 == g2) {
                // A fixed point: every further miss of the run takes this path while its victim
                // list has units the step did not place (fewer by one a miss when it is also the
                // list the misses enter).
                int to = ghost == NONE ? T1 : T2;
                int further = n - count - 1;
                if (victim == to) {
                    further = Math.max(0, Math.min(further, victim == T1 ? t1 - q1 : t2 - q2));
                }
                if (to == T1) {
                    q1 += further;
                } else {
                    q2 += further;
                }
                count += further;
            }
            p = q;
            s1 = t1;
            s2 = t2;
            g1 = h1;
            g2 = h2;
            p1 = q1;
            p2 = q2;
            fr = f;
        }
        blocked = !Double.isNaN(stuck);
        if (count == 0) {
            target = blocked ? stuck : target;
            return 0;
        }
        long done = count < n ? Long.expand((1L << count) - 1, run) : run; // its lowest count units
        target = p;
        free = fr;
        int victim = path / 8;
        int trim = path % 8;
        if (victim != NONE) {
            evict(victim, count, plan);
        }
        int gw = (layer << shift) + w;
        if (ghost != NONE) {
            member[ghost][gw] &= ~done;
            size[ghost] -= count;
            logs[ghost].leave(gw, done);
        }
        if (trim != NONE) {
            drop(trim, count);
        }
        int to = ghost == NONE ? T1 : T2;
        member[to][gw] |= done;
        size[to] += count;
        placed[to] += count;
        logs[to].append(gw, done, now);
        plan.promoteWord(layer, w, done);
        if (blocked) {
            target = stuck;
        }
        return done;
    }

    // Moves the n least recently placed units of T1 or T2 (none placed at this step) to its ghost list.
    private void evict(int list, int n, MigrationPlan plan) {
        int ghost = list == T1 ? B1 : B2;
        Log log = logs[list];
        long[] from = member[list];
        long[] to = member[ghost];
        Log ghosts = logs[ghost];
        int e = now;
        int mask = (1 << shift) - 1;
        size[list] -= n;
        size[ghost] += n;
        while (n > 0) {
            long t = log.take(n);
            int gw = log.takenWord;
            int k = Long.bitCount(t);
            from[gw] &= ~t;
            to[gw] |= t;
            ghosts.append(gw, t, e);
            plan.demoteWord(gw >>> shift, gw & mask, t);
            n -= k;
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
        Log log = logs[list];
        if (log.first() < 0 || log.headStep() >= now) {
            return false;
        }
        evict(list, 1, plan);
        return true;
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
        if (l != NONE) {
            member[l][k >>> 6] &= ~(1L << k);
            size[l]--;
            logs[l].leave(k >>> 6, 1L << k);
        }
    }

    private void append(int l, int k) {
        member[l][k >>> 6] |= 1L << k;
        size[l]++;
        logs[l].append(k >>> 6, 1L << k, now);
    }

    @Override
    public String toString() {
        return "arc";
    }

    /**
     * One list's order: entries (word, bits, step), oldest first, each member's bit in exactly
     * one entry ({@link #pos} says which) and no other bit in any. Emptied entries are skipped at
     * the head and dropped when a full log is compacted.
     */
    private final class Log {

        private int[] word = new int[256];
        private long[] bits = new long[256];
        private int[] at = new int[256];
        int takenWord;
        private int head;
        private int end;

        void clear() {
            head = 0;
            end = 0;
        }

        /** Appends units of one word; joins the last entry when it has the same word and step and lower bits. */
        void append(int gw, long x, int e) {
            int last = end - 1;
            int i;
            if (end > head && word[last] == gw && at[last] == e && bits[last] != 0
                    && Long.numberOfTrailingZeros(x) > 63 - Long.numberOfLeadingZeros(bits[last])) {
                bits[last] |= x;
                i = last;
            } else {
                if (end == word.length) {
                    compact();
                }
                i = end++;
                word[i] = gw;
                bits[i] = x;
                at[i] = e;
            }
            int k0 = gw << 6;
            int[] ps = pos;
            for (long y = x; y != 0; y &= y - 1) {
                ps[k0 + Long.numberOfTrailingZeros(y)] = i;
            }
        }

        /**
         * Members {@code x} of word {@code gw} leave their entries, an entry at a time (units placed
         * together, as at the layer's last step, share one).
         */
        void leave(int gw, long x) {
            int k0 = gw << 6;
            while (x != 0) {
                int i = pos[k0 + Long.numberOfTrailingZeros(x)];
                long y = bits[i] & x;
                bits[i] &= ~y;
                x &= ~y;
            }
        }

        // The bits of the first entry that has any (the head moves to it); 0 when the list is empty.
        private long headBits() {
            while (head < end) {
                long b = bits[head];
                if (b != 0) {
                    return b;
                }
                head++;
            }
            return 0;
        }

        /** The step of the list's least recently placed unit (the list must have one). */
        int headStep() {
            headBits();
            return at[head];
        }

        /**
         * The lowest {@code want} (at least one) units of the list's order, or fewer when the first
         * entry with members has fewer, as bits of word {@link #takenWord}; they leave the entry (the
         * caller ends their membership). The list must have a member.
         */
        long take(int want) {
            long live = headBits();
            long t = Long.bitCount(live) > want ? Long.expand((1L << want) - 1, live) : live; // lowest want
            bits[head] = live & ~t;
            takenWord = word[head];
            return t;
        }

        /** The key of the list's least recently placed unit, or -1 when it is empty. */
        int first() {
            long b = headBits();
            return b == 0 ? -1 : (word[head] << 6) + Long.numberOfTrailingZeros(b);
        }

        // Drops the empty entries, moving the rest down (and their units' positions with them);
        // grows the arrays when the rest fill half of them.
        private void compact() {
            int[] ps = pos;
            int out = 0;
            for (int i = head; i < end; i++) {
                long x = bits[i];
                if (x != 0) {
                    int gw = word[i];
                    word[out] = gw;
                    bits[out] = x;
                    at[out] = at[i];
                    int k0 = gw << 6;
                    for (long y = x; y != 0; y &= y - 1) {
                        ps[k0 + Long.numberOfTrailingZeros(y)] = out;
                    }
                    out++;
                }
            }
            head = 0;
            end = out;
            if (out > word.length / 2) {
                int n = word.length * 2;
                word = Arrays.copyOf(word, n);
                bits = Arrays.copyOf(bits, n);
                at = Arrays.copyOf(at, n);
            }
        }
    }
}
