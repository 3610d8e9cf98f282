package org.kvplace.examples.llama;

import java.io.IOException;

/** A GGUF file that is corrupt, truncated, or uses something this reader does not support. */
public final class GgufFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message naming the file, the key or tensor, and the offset. */
    public GgufFormatException(String message) {
        super(message);
    }
}
