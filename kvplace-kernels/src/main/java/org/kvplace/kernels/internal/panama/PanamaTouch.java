package org.kvplace.kernels.internal.panama;

/**
 * Keeps loads used as prefetches (the Vector API has none): a kernel XORs the words it touched
 * and hands the result to {@link #keep}, whose comparison with a value the words never XOR to in
 * practice is a use C2 cannot drop, while the store behind it practically never runs.
 */
final class PanamaTouch {

    private static final long MARK = 0x5eed_5eed_5eed_5eedL;
    @SuppressWarnings("unused")
    private static long sink;

    private PanamaTouch() {}

    /** Uses {@code touched}, the XOR of the touched words, so that their loads stay. */
    static void keep(long touched) {
        if (touched == MARK) {
            sink = touched;
        }
    }
}
