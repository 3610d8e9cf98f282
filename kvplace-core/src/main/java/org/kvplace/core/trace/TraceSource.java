package org.kvplace.core.trace;

import java.io.IOException;

/** Opens the same trace afresh, for drivers that replay it several times (the annealing search). */
@FunctionalInterface
public interface TraceSource {

    /**
     * Opens a new reader at the first step.
     *
     * @throws IOException if the source cannot be opened
     */
    AccessTrace open() throws IOException;
}
