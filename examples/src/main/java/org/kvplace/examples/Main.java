package org.kvplace.examples;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.kvplace.examples.llama.Printable;

/**
 * Entry point of the {@code kvplace} command: {@code kvplace COMMAND [OPTIONS]}.
 *
 * <p>Results go to standard output; progress and diagnostics to standard error. Exit status 0 on
 * success, 2 on a usage error, 1 on any other failure.
 */
public final class Main {

    private Main() {}

    /** Runs the command named by {@code args[0]}. */
    public static void main(String[] args) {
        PrintStream out = reopen(System.out, FileDescriptor.out);
        PrintStream err = reopen(System.err, FileDescriptor.err);
        System.exit(run(args, out, err));
    }

    /**
     * {@code stream} itself, or the same file descriptor in UTF-8 when the JVM chose US-ASCII for it
     * (the C/POSIX locale of many containers and CI machines), which would print every non-ASCII
     * character of a prompt or of decoded text as {@code ?}.
     */
    private static PrintStream reopen(PrintStream stream, FileDescriptor fd) {
        Charset charset = outputCharset(stream.charset());
        return charset.equals(stream.charset()) ? stream
                : new PrintStream(new FileOutputStream(fd), true, charset);
    }

    /** The charset to print in when the JVM picked {@code chosen}: UTF-8 instead of US-ASCII. */
    static Charset outputCharset(Charset chosen) {
        return chosen.equals(StandardCharsets.US_ASCII) ? StandardCharsets.UTF_8 : chosen;
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(usage());
            return 2;
        }
        if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.print(usage());
            return 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        String command = Printable.escape(args[0]);
        try {
            return switch (args[0]) {
                case "demo" -> DemoCommand.run(rest, out, err);
                case "simulate" -> SimulateCommand.run(rest, out, err);
                case "decode" -> DecodeCommand.run(rest, out, err);
                case "trace" -> TraceCommand.run(rest, out, err);
                case "live" -> LiveCommand.run(rest, out, err);
                default -> {
                    err.println("kvplace: unknown command '" + command + "'");
                    err.print(usage());
                    yield 2;
                }
            };
        } catch (UsageException e) {
            err.println("kvplace " + command + ": " + Printable.escape(e.getMessage()));
            err.println("Run 'kvplace " + command + " --help' for the options.");
            return 2;
        } catch (java.io.UncheckedIOException e) {
            // a file that could not be read or written part way; the message names it and the reason
            err.println("kvplace " + command + ": " + Printable.escape(e.getCause().getMessage()));
            stackTrace(e, err, false);
            return 1;
        } catch (CommandFailure e) {
            err.println("kvplace " + command + ": " + Printable.escape(e.getMessage()));
            stackTrace(e, err, false);
            return 1;
        } catch (RuntimeException e) {
            // One line naming the command and the problem; the stack trace only when asked for.
            err.println("kvplace " + command + ": " + Printable.escape(e.toString()));
            stackTrace(e, err, true);
            return 1;
        } catch (OutOfMemoryError e) {
            // The checks before a run should make this unreachable; if one is missing, still no stack trace.
            err.println("kvplace " + command + ": out of memory (" + Printable.escape(e.getMessage()) + "); the sizes"
                    + " given need more memory than this JVM has (see -Xmx and -XX:MaxDirectMemorySize)");
            stackTrace(e, err, true);
            return 1;
        }
    }

    private static void stackTrace(Throwable e, PrintStream err, boolean hint) {
        if (Boolean.getBoolean("kvplace.stacktrace")) {
            e.printStackTrace(err);
        } else if (hint) {
            err.println("(run with KVPLACE_JAVA_OPTS=-Dkvplace.stacktrace=true for the stack trace)");
        }
    }

    static String usage() {
        return """
                Usage: kvplace COMMAND [OPTIONS]

                Commands:
                  live       decode a long-context workload through the placement engine on emulated
                             tiers, per policy: measured and modelled tokens/s, bytes per tier, moves
                  demo       append a synthetic sequence to a tiered cache, attend, migrate, and report
                             the bytes read per tier
                  simulate   replay an access trace through placement policies under the cost model
                  decode     run a Llama GGUF model (such as stories260K) with its KV cache in kvplace
                  trace      describe a trace file: steps, units read, sparsity, step-to-step overlap

                Run 'kvplace COMMAND --help' for a command's options.
                """;
    }
}
