package org.kvplace.core.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** {@link Bits} against {@link BitSet}, the JDK's bit set, as the oracle. */
class BitsPropertyTest {

    /** One operation: 0 set, 1 clear, 2 setRange; {@code a} and {@code b} are bit indices. */
    record Op(int kind, int a, int b) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 299), Arbitraries.integers().between(0, 300)).as(Op::new);
        return op.list().ofMaxSize(40);
    }

    @Property(tries = 300, seed = "20240611")
    void shouldAgreeWithBitSetAfterAnySequenceOfUpdates(@ForAll("ops") List<Op> ops,
            @ForAll @IntRange(min = 1, max = 300) int limit, @ForAll @IntRange(min = 0, max = 299) int from) {
        long[] w = new long[Bits.words(300)];
        BitSet oracle = new BitSet();
        for (Op op : ops) {
            switch (op.kind()) {
                case 0 -> {
                    Bits.set(w, op.a());
                    oracle.set(op.a());
                }
                case 1 -> {
                    Bits.clear(w, op.a());
                    oracle.clear(op.a());
                }
                default -> {
                    int lo = Math.min(op.a(), op.b());
                    int hi = Math.max(op.a(), op.b());
                    Bits.setRange(w, lo, hi);
                    oracle.set(lo, hi);
                }
            }
        }
        for (int i = 0; i < 300; i++) {
            assertEquals(oracle.get(i), Bits.get(w, i), "bit " + i);
        }
        int words = Bits.words(limit);
        assertEquals(oracle.get(0, words * 64).cardinality(), Bits.count(w, words), "count of " + words + " words");
        int set = oracle.nextSetBit(from);
        assertEquals(set >= 0 && set < limit ? set : -1, Bits.nextSet(w, from, limit), "nextSet from " + from);
        int clear = oracle.nextClearBit(from);
        assertEquals(clear < limit ? clear : -1, Bits.nextClear(w, from, limit), "nextClear from " + from);
    }

    @Property(tries = 200, seed = "77")
    void shouldCountTheIntersectionAsBitSetDoes(@ForAll("ops") List<Op> a, @ForAll("ops") List<Op> b) {
        long[] wa = new long[Bits.words(300)];
        long[] wb = new long[Bits.words(300)];
        BitSet oa = new BitSet();
        BitSet ob = new BitSet();
        for (Op op : a) {
            Bits.set(wa, op.a());
            oa.set(op.a());
        }
        for (Op op : b) {
            Bits.setRange(wb, Math.min(op.a(), op.b()), Math.max(op.a(), op.b()));
            ob.set(Math.min(op.a(), op.b()), Math.max(op.a(), op.b()));
        }
        oa.and(ob);
        assertEquals(oa.cardinality(), Bits.countAnd(wa, wb, wa.length));
    }
}
