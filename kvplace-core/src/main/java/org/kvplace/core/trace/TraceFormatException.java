package org.kvplace.core.trace;

import java.io.IOException;

/** A trace source that is corrupt or truncated; the message names the byte offset or line. */
public final class TraceFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message that already names the position. */
    public TraceFormatException(String message) {
        super(message);
    }
}
