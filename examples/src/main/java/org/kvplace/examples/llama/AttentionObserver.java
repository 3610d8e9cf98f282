package org.kvplace.examples.llama;

/**
 * Receives, for every layer of every decoded token, which KV pages attention read and how much
 * attention each drew: the input of trace recording (see {@link LlamaDecoder}).
 */
@FunctionalInterface
public interface AttentionObserver {

    /**
     * Called after attention of {@code layer} at {@code position}.
     *
     * @param position the token's position (the step)
     * @param layer the layer
     * @param pages the pages read, ascending; a buffer reused by the next call (copy what you keep)
     * @param masses the attention mass of each page read, index for index with {@code pages}: the
     *     sum over query heads of the softmax probability its tokens received (the token being
     *     written included), so that the {@code pageCount} masses add up to the number of query
     *     heads; a buffer reused by the next call
     * @param pageCount the number of valid entries of {@code pages} and {@code masses}
     */
    void attended(int position, int layer, int[] pages, float[] masses, int pageCount);

    /**
     * Called once per token after its last layer: the end of the decode step.
     *
     * @param position the token's position
     */
    default void stepEnded(int position) {}
}
