package org.kvplace.examples;

/** Parsing of command-line option values, with messages that name the option and the value. */
final class Options {

    private Options() {}

    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    static int intValue(String[] args, int i, String option, int min, int max) {
        String s = value(args, i, option);
        int v;
        try {
            v = Integer.parseInt(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(option + " expects an integer, got '" + s + "'");
        }
        if (v < min || v > max) {
            throw new UsageException(option + " must be in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    static long longValue(String[] args, int i, String option) {
        String s = value(args, i, option);
        try {
            return Long.parseLong(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(option + " expects an integer, got '" + s + "'");
        }
    }

    static double doubleValue(String[] args, int i, String option, double min, double max) {
        String s = value(args, i, option);
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " expects a number, got '" + s + "'");
        }
        if (!(v >= min && v <= max)) {
            throw new UsageException(option + " must be in [" + min + ", " + max + "], got " + s);
        }
        return v;
    }
}
