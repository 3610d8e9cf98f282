package org.kvplace.examples;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.kvplace.examples.llama.Printable;

/** Checks of the files a command reads, and messages for I/O errors that say what was being done. */
final class InputFiles {

    private InputFiles() {}

    /**
     * Checks that {@code file} (named by {@code option}, read as {@code what}) is a regular,
     * readable file, before the command starts its work.
     *
     * @throws CommandFailure naming what, the option and the file, and why it cannot be read
     */
    static Path regularFile(String option, String what, String file) {
        Path p = Path.of(file);
        String problem = null;
        if (!Files.exists(p)) {
            problem = Files.isSymbolicLink(p) ? "a link to a file that does not exist" : "no such file";
        } else if (Files.isDirectory(p)) {
            problem = "a directory, not a file";
        } else if (!Files.isRegularFile(p)) {
            problem = "not a regular file (a pipe, device or socket); give a file, which can be read more than once";
        } else if (!Files.isReadable(p)) {
            problem = "permission denied";
        }
        if (problem != null) {
            throw new CommandFailure("cannot read " + what + " " + p + " (" + option + "): " + problem);
        }
        return p;
    }

    /** {@code "cannot <doing> <file>: <reason>"}, with a reason a person can act on. */
    static String message(String doing, Path file, IOException e) {
        return "cannot " + doing + " " + file + ": " + reason(e);
    }

    /** Why an I/O operation failed, in words, without repeating the path. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "a part of the path is not a directory";
        }
        if (e instanceof CharacterCodingException) {
            return "not valid UTF-8 text";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : Printable.escape(m);
    }
}
