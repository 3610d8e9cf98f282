package org.kvplace.core.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Shared parsing of profile {@code .properties} files; messages name the file and the key. */
final class Profiles {

    private Profiles() {}

    static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
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
        if (v != Math.rint(v) || v > Long.MAX_VALUE) {
            throw new IllegalArgumentException(source + ": key '" + key + "' must be a whole number of bytes, got "
                    + p.getProperty(key));
        }
        return (long) v;
    }
}
