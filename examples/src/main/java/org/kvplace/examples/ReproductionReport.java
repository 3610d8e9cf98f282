package org.kvplace.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** Regenerates docs/reproduction.md and its charts. */
final class ReproductionReport {

    private ReproductionReport() {}

    static int run(Path dir, PrintStream out, PrintStream err, boolean progress) throws IOException {
        err.println("not yet");
        return 1;
    }
}
