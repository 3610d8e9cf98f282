package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenizerTest {

    private static final String S = Tokenizer.SPACE;

    /** ids: 0 unk, 1 BOS, 2 EOS, 3..258 bytes, then the pieces below in order from 259. */
    private static Tokenizer small() {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
            scores.add(0f);
            types.add(6);
        }
        String[] words = {S, "a", "b", "c", "ab", "bc", S + "a", S + "bc"};
        float[] wordScores = {-1f, -1f, -1f, -1f, 1f, 5f, 0.5f, -10f};
        for (int i = 0; i < words.length; i++) {
            pieces.add(words[i]);
            scores.add(wordScores[i]);
            types.add(1);
        }
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        return new Tokenizer(pieces.toArray(String[]::new), s, t, 1, 2);
    }

    private static final int SPACE = 259;
    private static final int BC = 264;
    private static final int SPACE_A = 265;

    @Test
    void shouldMergeTheHighestScoringPairFirst() {
        // "_abc": bc (5) merges before ab (1); then _a (0.5); "_abc" and "abc" are not pieces.
        assertArrayEquals(new int[] {SPACE_A, BC}, small().encode("abc", false, false));
    }

    @Test
    void shouldAddBosAndEosAndMapSpaces() {
        // "_a_a": both "_a" pairs score 0.5; the leftmost merges first, then the other.
        assertArrayEquals(new int[] {1, SPACE_A, SPACE_A, 2}, small().encode("a a", true, true));
        // "_ab": "ab" (1) beats "_a" (0.5); "_ab" is not a piece.
        assertArrayEquals(new int[] {SPACE, 263}, small().encode("ab", false, false));
    }

    @Test
    void shouldFallBackToUtf8BytesForUnknownCharacters() {
        // U+00E9 is C3 A9 in UTF-8; byte token ids are 3 + byte.
        int[] ids = small().encode("é", false, false);
        assertArrayEquals(new int[] {SPACE, 3 + 0xC3, 3 + 0xA9}, ids);
        assertEquals(" é", small().decode(ids));
    }

    @Test
    void shouldDropTheLeadingSpaceAfterBosAndHideControlTokens() {
        Tokenizer t = small();
        assertEquals("abc", t.decode(new int[] {1, SPACE_A, BC, 2}));
        assertEquals(" abc", t.decode(new int[] {SPACE_A, BC}));
        assertEquals("", t.decode(new int[] {0}));
    }

    /** Without token types, BOS, EOS and {@code <unk>} are still special: not printed, not made from text. */
    @Test
    void shouldTreatBosEosAndUnkAsSpecialWhenTheVocabularyHasNoTypes() {
        // 0 <unk>, 1 <s>, 2 </s>, 3 <, 4 s, 5 >, 6 <s (merges first), 7 _
        String[] pieces = {"<unk>", "<s>", "</s>", "<", "s", ">", "<s", S};
        float[] scores = {0f, 10f, 10f, -1f, -1f, -1f, 5f, -1f};
        Tokenizer t = new Tokenizer(pieces, scores, null, 1, 2);
        assertEquals("", t.decode(new int[] {0, 1, 2}));
        assertArrayEquals(new byte[0], t.pieceBytes(3, 2));
        // "<s>" in text: "<" + "s" merge to "<s", but "<s" + ">" must not become BOS (score 10).
        assertArrayEquals(new int[] {7, 6, 5}, t.encode("<s>", false, false));
        assertEquals(" <s>", t.decode(t.encode("<s>", false, false)));
    }

    @Test
    void shouldNotMakeControlPiecesFromTextWhenTypesAreGiven() {
        String[] pieces = {"<unk>", "<s>", "</s>", "<", "s", ">", "<s", S};
        float[] scores = {0f, 10f, 10f, -1f, -1f, -1f, 5f, -1f};
        Tokenizer t = new Tokenizer(pieces, scores, new int[] {2, 3, 3, 1, 1, 1, 1, 1}, 1, 2);
        assertArrayEquals(new int[] {7, 6, 5}, t.encode("<s>", false, false));
    }

    @Test
    void shouldEncodeEmptyTextAsOnlyTheRequestedSpecialTokens() {
        assertArrayEquals(new int[] {1}, small().encode("", true, false));
        assertArrayEquals(new int[0], small().encode("", false, false));
    }

    @Test
    void shouldRejectInconsistentVocabulary() {
        assertThrows(IllegalArgumentException.class,
                () -> new Tokenizer(new String[] {"a", "b"}, new float[1], null, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new Tokenizer(new String[] {"a", "b"}, new float[2], null, 0, 2));
    }

    @Test
    void shouldRoundTripTextThroughTheStories260KVocabulary() throws IOException {
        try (LlamaModel m = LlamaModel.load(TestModels.stories260K())) {
            Tokenizer t = m.tokenizer();
            String text = "Once upon a time, Lily saw a big dog. \"Hello!\" she said. Ünïcödé ok";
            int[] ids = t.encode(text, true, false);
            assertEquals(1, ids[0]);
            assertEquals(text, t.decode(ids));
            // Merges happened: far fewer tokens than characters.
            org.junit.jupiter.api.Assertions.assertTrue(ids.length < text.length() / 2 + 10,
                    "expected merged tokens, got " + ids.length + " for " + text.length() + " characters");
        }
    }
}
