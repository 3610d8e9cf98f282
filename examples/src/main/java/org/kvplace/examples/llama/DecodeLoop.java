package org.kvplace.examples.llama;

/**
 * The decode loop: feeds the prompt, then samples and feeds new tokens, handing each new token to
 * a sink as soon as it exists (for streaming).
 */
public final class DecodeLoop {

    private DecodeLoop() {}

    /** Receives each generated token with the token before it (for {@link Tokenizer#pieceBytes}). */
    @FunctionalInterface
    public interface TokenSink {
        /** Called once per generated token, in order. */
        void accept(int previous, int token);
    }

    /**
     * Runs {@code prompt} (at least one token, usually starting with BOS) through {@code decoder} and
     * generates up to {@code newTokens} tokens.
     *
     * @param stopAtEnd stop early when the model produces EOS or BOS (the end of a text)
     * @return the generated tokens (without the prompt)
     * @throws IllegalArgumentException if the prompt is empty, {@code newTokens} is negative, or the
     *     prompt plus the new tokens exceed the decoder's {@link LlamaDecoder#maxTokens()}
     */
    public static int[] run(LlamaDecoder decoder, Tokenizer tokenizer, int[] prompt, int newTokens, Sampler sampler,
            boolean stopAtEnd, TokenSink sink) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token (BOS)");
        }
        if (newTokens < 0) {
            throw new IllegalArgumentException("newTokens must be >= 0, got " + newTokens);
        }
        // The last generated token is never fed, so prompt + newTokens - 1 positions are needed.
        long needed = decoder.position() + (long) prompt.length + newTokens - 1;
        if (needed > decoder.maxTokens()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens plus " + newTokens
                    + " new tokens need " + needed + " positions; the decoder holds " + decoder.maxTokens());
        }
        int[] out = new int[newTokens];
        int produced = 0;
        int token = prompt[0];
        for (int i = 1; i < prompt.length; i++) {
            decoder.forward(token);
            token = prompt[i];
        }
        while (produced < newTokens) {
            float[] logits = decoder.forward(token);
            int next = sampler.sample(logits);
            out[produced++] = next;
            if (sink != null) {
                sink.accept(token, next);
            }
            token = next;
            if (stopAtEnd && (next == tokenizer.eos() || next == tokenizer.bos())) {
                break;
            }
            if (produced < newTokens && decoder.position() >= decoder.maxTokens()) {
                break;
            }
        }
        return produced == out.length ? out : java.util.Arrays.copyOf(out, produced);
    }
}
