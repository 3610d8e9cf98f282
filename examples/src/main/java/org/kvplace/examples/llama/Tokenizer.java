package org.kvplace.examples.llama;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece-style BPE tokenizer built from GGUF metadata ({@code tokenizer.ggml.*}).
 *
 * <p>Encoding: the text gets a leading space (SentencePiece's dummy prefix), spaces become
 * {@code U+2581}; each character maps to its piece, or, when the vocabulary lacks it, to the byte
 * tokens {@code <0xXX>} of its UTF-8 bytes (byte fallback); then adjacent pieces are merged, always
 * the pair whose merged piece has the highest score, until no pair merges. Decoding maps pieces
 * back to UTF-8 bytes: {@code U+2581} to a space, byte tokens to their byte, control and unknown
 * tokens to nothing; the leading space of the first piece after BOS is dropped.
 *
 * <p>Immutable and thread-safe. {@link #pieceBytes} returns precomputed arrays, so streaming text
 * allocates nothing per token.
 */
public final class Tokenizer {

    /** The SentencePiece word-boundary character that stands for a space. */
    public static final String SPACE = "\u2581";

    private static final int TYPE_UNKNOWN = 2;
    private static final int TYPE_CONTROL = 3;
    private static final int TYPE_BYTE = 6;

    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids;
    private final int[] byteTokens = new int[256];
    private final byte[][] bytes;
    private final byte[][] bytesAfterBos;
    /** Control and unknown pieces: printed as nothing, never produced by encoding text. */
    private final boolean[] special;
    private final int bos;
    private final int eos;

    /**
     * A tokenizer from its vocabulary.
     *
     * @param pieces token pieces, by id
     * @param scores merge scores, by id (higher merges first)
     * @param types token types by id (1 normal, 2 unknown, 3 control, 6 byte), or {@code null} to
     *     derive them (pieces {@code <0xXX>} are bytes, {@code bos} and {@code eos} control,
     *     {@code <unk>} unknown)
     * @param bos beginning-of-sequence id
     * @param eos end-of-sequence id
     * @throws IllegalArgumentException if lengths differ or an id is out of range
     */
    public Tokenizer(String[] pieces, float[] scores, int[] types, int bos, int eos) {
        if (scores.length != pieces.length || (types != null && types.length != pieces.length)) {
            throw new IllegalArgumentException("vocabulary of " + pieces.length + " pieces has " + scores.length
                    + " scores and " + (types == null ? "no" : types.length) + " types");
        }
        if (bos < 0 || bos >= pieces.length || eos < 0 || eos >= pieces.length) {
            throw new IllegalArgumentException("bos " + bos + " or eos " + eos + " out of range [0, " + pieces.length + ")");
        }
        this.pieces = pieces.clone();
        this.scores = scores.clone();
        this.bos = bos;
        this.eos = eos;
        this.ids = new HashMap<>(pieces.length * 2);
        java.util.Arrays.fill(byteTokens, -1);
        this.bytes = new byte[pieces.length][];
        this.bytesAfterBos = new byte[pieces.length][];
        this.special = new boolean[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            ids.putIfAbsent(p, id);
            int b = byteValue(p);
            int type = types != null ? types[id] : derivedType(p, b, id, bos, eos);
            special[id] = type == TYPE_CONTROL || type == TYPE_UNKNOWN;
            if (type == TYPE_BYTE && b >= 0) {
                if (byteTokens[b] < 0) {
                    byteTokens[b] = id;
                }
                bytes[id] = new byte[] {(byte) b};
                bytesAfterBos[id] = bytes[id];
            } else if (type == TYPE_CONTROL || type == TYPE_UNKNOWN) {
                bytes[id] = new byte[0];
                bytesAfterBos[id] = bytes[id];
            } else {
                String text = p.replace(SPACE, " ");
                bytes[id] = text.getBytes(StandardCharsets.UTF_8);
                bytesAfterBos[id] = (text.startsWith(" ") ? text.substring(1) : text).getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    /**
     * The tokenizer stored in a GGUF file.
     *
     * @throws GgufFormatException if a required {@code tokenizer.ggml.*} key is missing or malformed
     */
    public static Tokenizer from(GgufFile f) throws GgufFormatException {
        String model = f.has("tokenizer.ggml.model") ? f.requireString("tokenizer.ggml.model") : "llama";
        if (!model.equals("llama")) {
            throw f.error("tokenizer.ggml.model is " + Printable.name(model) + "; only the SentencePiece ('llama') tokenizer is"
                    + " supported");
        }
        String[] pieces = f.requireArray("tokenizer.ggml.tokens", String[].class);
        float[] scores = f.has("tokenizer.ggml.scores") ? f.requireArray("tokenizer.ggml.scores", float[].class)
                : new float[pieces.length];
        int[] types = f.has("tokenizer.ggml.token_type") ? f.requireArray("tokenizer.ggml.token_type", int[].class)
                : null;
        int bos = f.intOr("tokenizer.ggml.bos_token_id", 1);
        int eos = f.intOr("tokenizer.ggml.eos_token_id", 2);
        try {
            return new Tokenizer(pieces, scores, types, bos, eos);
        } catch (IllegalArgumentException e) {
            throw f.error("bad tokenizer metadata: " + e.getMessage());
        }
    }

    /**
     * The type of a piece when the vocabulary has none: {@code <0xXX>} pieces are bytes, BOS and EOS
     * are control tokens and {@code <unk>} is the unknown token (so that none of them is printed, or
     * produced from text), everything else is normal.
     */
    private static int derivedType(String piece, int byteValue, int id, int bos, int eos) {
        if (byteValue >= 0) {
            return TYPE_BYTE;
        }
        if (id == bos || id == eos) {
            return TYPE_CONTROL;
        }
        return piece.equals("<unk>") ? TYPE_UNKNOWN : 1;
    }

    private static int byteValue(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** Vocabulary size. */
    public int vocabSize() {
        return pieces.length;
    }

    /** Beginning-of-sequence token id. */
    public int bos() {
        return bos;
    }

    /** End-of-sequence token id. */
    public int eos() {
        return eos;
    }

    /** The piece of token {@code id}, as stored. */
    public String piece(int id) {
        return pieces[id];
    }

    /**
     * Encodes {@code text}.
     *
     * @param addBos prepend BOS
     * @param addEos append EOS
     * @throws IllegalStateException if a byte has no byte token and no piece covers it
     */
    public int[] encode(String text, boolean addBos, boolean addEos) {
        List<Integer> tokens = new ArrayList<>();
        if (!text.isEmpty()) {
            String s = SPACE + text.replace(" ", SPACE);
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                String ch = new String(Character.toChars(cp));
                i += ch.length();
                Integer id = ids.get(ch);
                if (id != null && !special[id]) {
                    tokens.add(id);
                    continue;
                }
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    int t = byteTokens[b & 0xFF];
                    if (t < 0) {
                        throw new IllegalStateException(String.format(
                                "character U+%04X needs byte 0x%02X, which has no byte token", cp, b & 0xFF));
                    }
                    tokens.add(t);
                }
            }
            merge(tokens);
        }
        int n = tokens.size() + (addBos ? 1 : 0) + (addEos ? 1 : 0);
        int[] out = new int[n];
        int k = 0;
        if (addBos) {
            out[k++] = bos;
        }
        for (int t : tokens) {
            out[k++] = t;
        }
        if (addEos) {
            out[k] = eos;
        }
        return out;
    }

    private void merge(List<Integer> tokens) {
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int bestId = -1;
            int bestAt = -1;
            for (int i = 0; i + 1 < tokens.size(); i++) {
                Integer id = ids.get(pieces[tokens.get(i)] + pieces[tokens.get(i + 1)]);
                // Control and unknown pieces are never made from text, even if their spelling is.
                if (id != null && !special[id] && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestAt = i;
                }
            }
            if (bestAt < 0) {
                return;
            }
            tokens.set(bestAt, bestId);
            tokens.remove(bestAt + 1);
        }
    }

    /**
     * The UTF-8 bytes token {@code token} contributes to the text after {@code previous} (a shared,
     * precomputed array: do not modify). A byte token yields one byte, which may be part of a
     * multi-byte character.
     */
    public byte[] pieceBytes(int previous, int token) {
        return previous == bos ? bytesAfterBos[token] : bytes[token];
    }

    /** Decodes a token sequence to text (the first token is treated as following BOS if it is BOS). */
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int t : tokens) {
            byte[] b = pieceBytes(prev, t);
            out.write(b, 0, b.length);
            prev = t;
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
