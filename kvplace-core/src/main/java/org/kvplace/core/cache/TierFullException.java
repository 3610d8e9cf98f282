package org.kvplace.core.cache;

/**
 * Thrown when a page cannot be placed because the tier (or both tiers) it needs is full. Nothing
 * was written or moved when this is thrown.
 */
public final class TierFullException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the capacities involved. */
    public TierFullException(String message) {
        super(message);
    }
}
