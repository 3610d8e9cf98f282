package org.kvplace.core.model;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;

/** Shared parsing of profile {@code .properties} files; messages name the file and the key. */
final class Profiles {

    private Profiles() {}

    /** Bandwidths a profile file may give, bytes per second: 1 kB/s to 1 EB/s. */
    static final double MIN_BANDWIDTH = 1e3;
    static final double MAX_BANDWIDTH = 1e18;
    /** Capacities a profile file may give, bytes: at most 2^62 (4.6 EB), so that sums stay in a long. */
    static final long MAX_CAPACITY = 1L << 62;
    /** Largest profile file read, bytes. */
    static final long MAX_FILE_BYTES = 1 << 20;

    /**
     * Reads {@code file} as properties (ISO-8859-1, backslash-u escapes).
     *
     * @throws IOException naming the file, if it cannot be read
     * @throws IllegalArgumentException naming the file and the line of a malformed escape
     */
    static Properties load(Path file, String what) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("cannot read " + what + " " + file + ": it is a directory, not a file");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new IOException("cannot read " + what + " " + file + ": not a regular file (a pipe, device or socket)");
        }
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new IOException("cannot read " + what + " " + file + ": " + size + " bytes, more than the "
                        + MAX_FILE_BYTES + " a profile may have");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot read " + what + " " + file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new IOException("cannot read " + what + " " + file + ": permission denied", e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("cannot read ")) {
                throw e;
            }
            throw new IOException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
        Properties p = new Properties();
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            p.load(in);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " (" + what + "): line " + badEscapeLine(bytes)
                    + ": malformed \\uXXXX escape (a backslash and 'u' must be followed by four hex digits)", e);
        }
        return p;
    }

    /** The 1-based line of the first backslash-u not followed by four hex digits (0 if none is found). */
    static int badEscapeLine(byte[] bytes) {
        int line = 1;
        for (int i = 0; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                line++;
            } else if (b == '\\' && i + 1 < bytes.length) {
                if (bytes[i + 1] == 'u') {
                    for (int k = 2; k < 6; k++) {
                        if (i + k >= bytes.length || Character.digit(bytes[i + k], 16) < 0) {
                            return line;
                        }
                    }
                }
                if (bytes[i + 1] == '\n') {
                    line++;
                }
                i++;
            }
        }
        return 0;
    }

    /** A bandwidth in bytes per second, in {@code [MIN_BANDWIDTH, MAX_BANDWIDTH]}. */
    static double bandwidth(Properties p, String key, String source) {
        double v = positive(p, key, source);
        if (v < MIN_BANDWIDTH || v > MAX_BANDWIDTH) {
            throw new IllegalArgumentException(source + ": key '" + key + "' is " + p.getProperty(key).trim()
                    + " bytes per second, outside [" + MIN_BANDWIDTH + ", " + MAX_BANDWIDTH + "] (1 kB/s to 1 EB/s)");
        }
        return v;
    }

    /** A whole number in {@code [1, max]}, naming {@code unit} in the message. */
    static long bounded(Properties p, String key, String source, long max, String unit) {
        long v = positiveLong(p, key, source);
        if (v > max) {
            throw new IllegalArgumentException(source + ": key '" + key + "' is " + p.getProperty(key).trim() + " "
                    + unit + ", more than the " + max + " this model allows");
        }
        return v;
    }

    static double positive(Properties p, String key, String source) {
        String s = p.getProperty(key);
        if (s == null) {
            throw new IllegalArgumentException(source + ": missing key '" + key + "'");
        }
        double v;
        try {
            v = Double.parseDouble(s.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": key '" + key + "' is not a number: '" + s + "'");
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(source + ": key '" + key + "' must be positive and finite, got " + s);
        }
        return v;
    }

    static long positiveLong(Properties p, String key, String source) {
        double v = positive(p, key, source);
        if (v != Math.rint(v) || v >= 0x1p63) {
            throw new IllegalArgumentException(source + ": key '" + key + "' must be a whole number of bytes, got "
                    + p.getProperty(key));
        }
        return (long) v;
    }
}
