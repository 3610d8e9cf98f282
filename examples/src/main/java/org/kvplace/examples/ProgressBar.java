package org.kvplace.examples;

import java.io.Console;
import java.io.PrintStream;
import org.kvplace.core.sim.ProgressListener;

/** A one-line progress bar on standard error, redrawn at most every 200 ms. */
final class ProgressBar implements ProgressListener {

    private final PrintStream err;
    private final String label;
    private final boolean enabled;
    private long last;

    /**
     * Whether this JVM talks to a terminal ({@link Console#isTerminal}): where a bar redrawn
     * with {@code '\r'} is useful. Written to a file or a pipe it is only noise.
     */
    static boolean terminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    ProgressBar(PrintStream err, String label, boolean enabled) {
        this.err = err;
        this.label = label;
        this.enabled = enabled;
    }

    @Override
    public void progress(long done, long total) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - last < 200_000_000L) {
            return;
        }
        last = now;
        int width = 30;
        int filled = total == 0 ? width : (int) (width * done / total);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        err.print("\r" + label + " [" + bar + "] " + (total == 0 ? 100 : 100 * done / total) + "%");
        if (done >= total) {
            err.print("\r" + " ".repeat(label.length() + width + 10) + "\r");
        }
        err.flush();
    }
}
