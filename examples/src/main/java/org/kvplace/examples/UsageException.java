package org.kvplace.examples;

/** A bad command-line option; the launcher prints the message and exits with status 2. */
final class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
