package org.kvplace.examples;

/**
 * A command that cannot go on for a reason outside the command line, such as a missing or unreadable
 * file; the launcher prints the message (naming what was being read or written and the file) and
 * exits with status 1, without a stack trace.
 */
final class CommandFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    CommandFailure(String message) {
        super(message);
    }

    CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
