package org.kvplace.examples.llama;

/**
 * Text from files and users made safe to print in a message: control characters, other
 * non-printable characters and lone surrogates become escapes ({@code \n}, {@code \x1b},
 * {@code \u200b}), so a file cannot move the cursor, recolour or clear a terminal through an error
 * message; names are cut to a readable length. Stateless.
 */
public final class Printable {

    /** Longest name, in characters, that {@link #name} prints whole. */
    public static final int MAX_NAME = 80;

    private Printable() {}

    /** {@code s} with every non-printable character escaped; {@code "null"} for null. */
    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok;
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = s.codePointAt(i);
                ok = printable(cp);
                if (ok) {
                    if (sb != null) {
                        sb.append(c).append(s.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
            } else {
                ok = c == '\n' ? false : printable(c);
            }
            if (ok) {
                if (sb != null) {
                    sb.append(c);
                }
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            }
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * A name from a file, escaped and cut to {@link #MAX_NAME} characters (with the length it had),
     * in single quotes.
     */
    public static String name(String s) {
        String e = escape(s);
        if (e.length() > MAX_NAME) {
            e = e.substring(0, MAX_NAME - 3) + "...' (" + s.length() + " characters)";
            return "'" + e;
        }
        return "'" + e + "'";
    }

    /** {@code s} escaped line by line: its line breaks stay, nothing else unprintable does. */
    public static String escapeKeepingLines(String s) {
        if (s == null) {
            return "null";
        }
        String[] lines = s.split("\n", -1);
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                sb.append('\n');
            }
            sb.append(escape(lines[i]));
        }
        return sb.toString();
    }

    private static boolean printable(int cp) {
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.UNASSIGNED,
                    Character.PRIVATE_USE, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }
}
