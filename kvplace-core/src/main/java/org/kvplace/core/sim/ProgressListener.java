package org.kvplace.core.sim;

/** Receives progress of a long replay, from the replaying thread. */
@FunctionalInterface
public interface ProgressListener {

    /** A listener that ignores everything. */
    ProgressListener NONE = (done, total) -> {};

    /** {@code done} of {@code total} steps are replayed; called every few thousand steps and at the end. */
    void progress(long done, long total);
}
