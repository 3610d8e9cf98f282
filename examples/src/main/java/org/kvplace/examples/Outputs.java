package org.kvplace.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The files one command reads and writes, checked before the command does any work: an output is
 * never one of the inputs or another output (paths compared after resolving links, also for files
 * that do not exist yet; existing files also by device and inode, which catches hard links), and its directory exists or can be created. Outputs are written through
 * {@link AtomicFile}: to a temporary file in the same directory, moved into place only when
 * complete, so that a failed run leaves neither a half-written file nor a damaged old one.
 */
final class Outputs {

    /** Real path to what it is, such as {@code "--model stories.gguf"}. */
    private final Map<Path, String> inputs = new LinkedHashMap<>();
    private final Map<Path, String> outputs = new LinkedHashMap<>();

    /** Registers an input file named by {@code option}; a missing file is registered by its would-be path. */
    Outputs input(String option, String file) {
        inputs.putIfAbsent(real(Path.of(file)), option + " " + file);
        return this;
    }

    /**
     * Checks an output file named by {@code option} and returns the path to write: the real path, so
     * that writing through a link replaces the file the link names, not the link.
     *
     * @throws UsageException if it is one of the inputs, another output or a directory, or its
     *     directory cannot be created or written
     */
    Path output(String option, String file) {
        Path real = real(Path.of(file));
        String what = option + " " + file;
        String input = inputs.get(real);
        if (input == null && Files.exists(real)) {
            // another name for the same file (a hard link, a bind mount): same device and inode
            for (Map.Entry<Path, String> in : inputs.entrySet()) {
                if (sameFile(real, in.getKey())) {
                    input = in.getValue();
                    break;
                }
            }
        }
        if (input != null) {
            throw new UsageException(what + " is the same file as " + input + " (" + real
                    + "); a command never writes over its own inputs");
        }
        String other = outputs.get(real);
        if (other != null) {
            throw new UsageException(what + " is the same file as " + other + " (" + real + ")");
        }
        if (Files.isDirectory(real)) {
            throw new UsageException(what + ": " + real + " is a directory, not a file");
        }
        if (Files.exists(real) && !Files.isRegularFile(real)) {
            throw new UsageException(what + ": " + real + " is not a regular file");
        }
        checkDirectory(what, real.getParent());
        outputs.put(real, what);
        return real;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** Checks an output directory (created when the command writes); returns its real path. */
    Path outputDirectory(String option, String dir) {
        Path real = real(Path.of(dir));
        String what = option + " " + dir;
        if (inputs.containsKey(real)) {
            throw new UsageException(what + " is the same path as " + inputs.get(real));
        }
        if (Files.exists(real) && !Files.isDirectory(real)) {
            throw new UsageException(what + ": " + real + " exists and is not a directory");
        }
        checkDirectory(what, real);
        return real;
    }

    /** The directory exists and is writable, or its nearest existing ancestor is a writable directory. */
    private static void checkDirectory(String what, Path dir) {
        Path d = dir;
        while (d != null && !Files.exists(d)) {
            d = d.getParent();
        }
        if (d == null || !Files.isDirectory(d)) {
            throw new UsageException(what + ": cannot create directory " + dir + " (" + d + " is not a directory)");
        }
        if (!Files.isWritable(d)) {
            throw new UsageException(what + ": directory " + d + " is not writable");
        }
    }

    /**
     * The real path of {@code p} with links resolved; for a file that does not exist (yet), its
     * nearest existing ancestor's real path joined with the rest, following a dangling link to where
     * it points.
     */
    static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        for (int hops = 0; hops < 40; hops++) {
            try {
                return abs.toRealPath();
            } catch (IOException e) {
                // does not exist, or a dangling link: resolve what exists
            }
            if (Files.isSymbolicLink(abs)) {
                try {
                    abs = abs.resolveSibling(Files.readSymbolicLink(abs)).toAbsolutePath().normalize();
                    continue;
                } catch (IOException e) {
                    break;
                }
            }
            break;
        }
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            return abs;
        }
        return real(parent).resolve(abs.getFileName());
    }

    /** Writes {@code text} in UTF-8 to {@code target} atomically. */
    static void writeString(Path target, String text) throws IOException {
        try (AtomicFile f = AtomicFile.create(target)) {
            f.stream().write(text.getBytes(StandardCharsets.UTF_8));
            f.commit();
        }
    }

    /** A stream whose failures say which file could not be written, and why. */
    private static final class Named extends java.io.FilterOutputStream {
        private final Path target;

        Named(OutputStream out, Path target) {
            super(out);
            this.target = target;
        }

        private IOException named(IOException e) {
            return new IOException(InputFiles.message("write", target, e), e);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                throw named(e);
            }
        }
    }

    /**
     * A file written to a temporary sibling and moved over the target by {@link #commit()}; {@link
     * #close()} without a commit deletes the temporary file and leaves the target as it was.
     * Not thread-safe.
     */
    static final class AtomicFile implements AutoCloseable {
        private static final Set<PosixFilePermission> DEFAULT_PERMISSIONS = PosixFilePermissions.fromString("rw-r--r--");
        private final Path target;
        private final Path temp;
        private final OutputStream out;
        private boolean done;

        private AtomicFile(Path target, Path temp, OutputStream out) {
            this.target = target;
            this.temp = temp;
            this.out = out;
        }

        /**
         * Starts writing {@code target}, creating its directory if needed.
         *
         * @throws IOException saying what could not be written and why
         */
        static AtomicFile create(Path target) throws IOException {
            Path dir = target.toAbsolutePath().getParent();
            Path temp;
            try {
                Files.createDirectories(dir);
                temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            } catch (IOException e) {
                throw new IOException(InputFiles.message("write", target, e), e);
            }
            try {
                Set<PosixFilePermission> perms = Files.exists(target)
                        ? Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS) : DEFAULT_PERMISSIONS;
                Files.setPosixFilePermissions(temp, perms);
            } catch (UnsupportedOperationException | IOException e) {
                // keep the temporary file's own permissions
            }
            try {
                return new AtomicFile(target, temp, new Named(Files.newOutputStream(temp), target));
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
        }

        /** The temporary file's stream; closed by {@link #commit()} or {@link #close()}. */
        OutputStream stream() {
            return out;
        }

        /** The file being written (where it will be). */
        Path target() {
            return target;
        }

        /** Closes the stream and moves the temporary file over the target. */
        void commit() throws IOException {
            if (done) {
                throw new IllegalStateException(target + " already committed or abandoned");
            }
            try {
                out.close();
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                close();
                throw new IOException("cannot move the finished " + target.getFileName() + " into place at " + target
                        + ": " + InputFiles.reason(e), e);
            } catch (IOException e) {
                close();
                throw e;
            }
            done = true;
        }

        /** Deletes the temporary file unless committed. Idempotent. */
        @Override
        public void close() throws IOException {
            if (done) {
                return;
            }
            done = true;
            try {
                out.close();
            } catch (IOException e) {
                // the file is abandoned; its content does not matter
            }
            Files.deleteIfExists(temp);
        }
    }
}
