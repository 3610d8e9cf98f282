package org.kvplace.examples;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import org.kvplace.examples.llama.Printable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of the {@code kvplace} command: {@code kvplace COMMAND [OPTIONS]}, parsed by picocli.
 *
 * <p>Results go to standard output; progress and diagnostics to standard error. Exit status 0 on
 * success (and for {@code --help} and {@code --version}), 2 on a usage error (a bad option or value,
 * an unknown command, or a {@link UsageException} from a command's own checks), 1 on any other
 * failure.
 */
public final class Main {

    /** Exit status of a command line that cannot be run as given. */
    static final int USAGE = 2;
    /** Exit status of a command that failed. */
    static final int FAILURE = 1;

    private Main() {}

    /** Runs the command named by {@code args[0]} and exits with its status. */
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

    /** Parses and runs {@code args}; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = commandLine(out, err, args.length == 0 ? null : args[0]);
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // The checks before a run should make this unreachable; if one is missing, still no stack trace.
            String command = args.length == 0 ? "" : " " + Printable.escape(args[0]);
            err.println("kvplace" + command + ": out of memory (" + Printable.escape(e.getMessage()) + "); the sizes"
                    + " given need more memory than this JVM has (see -Xmx and -XX:MaxDirectMemorySize)");
            stackTrace(e, err, true);
            return FAILURE;
        } finally {
            cl.getOut().flush();
            cl.getErr().flush();
        }
    }

    /** A subcommand: its class (whose {@code @Command} names it) and how to make one. */
    private record Subcommand(Class<?> type, BiFunction<PrintStream, PrintStream, Object> make) {
        String name() {
            return type.getAnnotation(Command.class).name();
        }
    }

    /** The subcommands, in the order of the command list. */
    private static final List<Subcommand> SUBCOMMANDS = List.of(
            new Subcommand(LiveCommand.class, LiveCommand::new),
            new Subcommand(DemoCommand.class, DemoCommand::new),
            new Subcommand(SimulateCommand.class, SimulateCommand::new),
            new Subcommand(DecodeCommand.class, DecodeCommand::new),
            new Subcommand(MakeModelCommand.class, MakeModelCommand::new),
            new Subcommand(BenchCommand.class, BenchCommand::new),
            new Subcommand(TraceCommand.class, TraceCommand::new),
            new Subcommand(TwoLevelCommand.class, TwoLevelCommand::new));

    /** The command line with every subcommand, printing to {@code out} and {@code err}. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        return commandLine(out, err, null);
    }

    /**
     * The command line for a run whose first argument is {@code first} ({@code null} for none): with
     * that subcommand alone when {@code first} names one, else with every subcommand (the list, the
     * help command, a mistyped name's suggestions). Building a subcommand's model is picocli's
     * reflection over its options; a run needs only its own, and start-up is part of every run.
     */
    static CommandLine commandLine(PrintStream out, PrintStream err, String first) {
        CommandLine cl = new CommandLine(new Kvplace(err));
        boolean one = SUBCOMMANDS.stream().anyMatch(c -> c.name().equals(first));
        for (Subcommand c : SUBCOMMANDS) {
            if (!one || c.name().equals(first)) {
                cl.addSubcommand(c.make().apply(out, err));
            }
        }
        if (!one) {
            cl.addSubcommand(new CommandLine.HelpCommand());
        }
        // after the subcommands: a converter registered here reaches the subcommands added so far
        cl.registerConverter(Integer.class, Main::parseInt)
                .registerConverter(int.class, Main::parseInt)
                .registerConverter(Long.class, Main::parseLong)
                .registerConverter(long.class, Main::parseLong)
                .registerConverter(Double.class, Main::parseDouble)
                .registerConverter(double.class, Main::parseDouble);
        // As the hand-written parser did: the last of a repeated option wins, and an argument
        // starting with '@' is a value, not a file of arguments.
        cl.setOverwrittenOptionsAllowed(true);
        cl.setExpandAtFiles(false);
        cl.setOut(writer(out));
        cl.setErr(writer(err));
        cl.setParameterExceptionHandler((e, a) -> usageError(e, err));
        cl.setExecutionExceptionHandler((e, c, parsed) -> failure(e, c, err));
        return cl;
    }

    private static PrintWriter writer(PrintStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, stream.charset()), true);
    }

    /** {@code kvplace} without a command: the list of commands. */
    @Command(name = "kvplace", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
            versionProvider = Version.class, separator = " ", abbreviateSynopsis = true, sortOptions = false,
            descriptionHeading = "%n", optionListHeading = "%nOptions:%n",
            synopsisSubcommandLabel = "COMMAND", 
            description = {"Tiered KV-cache placement for LLM decoding over two memory tiers.",
                "Run 'kvplace COMMAND --help' for a command's options."},
            parameterListHeading = "%nParameters:%n",
            commandListHeading = "%nCommands:%n",
            footer = {"", "Exit status: 0 success, 1 failure, 2 usage error.%n"})
    static final class Kvplace implements Callable<Integer> {
        private final PrintStream err;

        @Spec
        CommandLine.Model.CommandSpec spec;

        Kvplace(PrintStream err) {
            this.err = err;
        }

        @Override
        public Integer call() {
            spec.commandLine().usage(err);
            return USAGE;
        }
    }

    /** {@code kvplace --version}: the project version (from the build) and the JVM. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"kvplace " + p.getProperty("version", "(unknown version)"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }

    // ---- values: messages that name the option and the value -----------------------------------

    static int parseInt(String s) {
        try {
            return Integer.parseInt(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("expects an integer, got '" + s + "'");
        }
    }

    static long parseLong(String s) {
        try {
            return Long.parseLong(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("expects an integer, got '" + s + "'");
        }
    }

    static double parseDouble(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("expects a number, got '" + s + "'");
        }
    }

    /**
     * {@code value}, checked against {@code [min, max]}.
     *
     * @throws UsageException naming the option, the range and the value
     */
    static int range(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new UsageException(option + " must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }

    /**
     * {@code value}, checked against {@code [min, max]} (NaN is outside).
     *
     * @throws UsageException naming the option, the range and the value
     */
    static double range(String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new UsageException(option + " must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }

    // ---- errors --------------------------------------------------------------------------------

    /** A command line picocli could not parse: one line naming the option and the value; status 2. */
    private static int usageError(ParameterException e, PrintStream err) {
        CommandLine cmd = e.getCommandLine();
        boolean top = cmd.getParent() == null;
        if (top && e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            err.println("kvplace: unknown command '" + Printable.escape(u.getUnmatched().get(0)) + "'");
            cmd.usage(err);
            return USAGE;
        }
        String name = cmd.getCommandSpec().qualifiedName();
        err.println(name + ": " + Printable.escape(message(e)));
        err.println("Run '" + name + " --help' for the options.");
        return USAGE;
    }

    /** What was wrong, starting with the option or parameter it concerns. */
    static String message(ParameterException e) {
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            return (arg.startsWith("-") ? "unknown option '" : "unexpected argument '") + arg + "'";
        }
        if (e instanceof MissingParameterException m && !m.getMissing().isEmpty()) {
            ArgSpec a = m.getMissing().get(0);
            return a instanceof OptionSpec o ? o.longestName() + " needs a value" : "missing " + a.paramLabel();
        }
        if (e.getCause() instanceof TypeConversionException t) {
            return label(e.getArgSpec()) + " " + t.getMessage();
        }
        return e.getMessage();
    }

    private static String label(ArgSpec a) {
        if (a instanceof OptionSpec o) {
            return o.longestName();
        }
        return a instanceof PositionalParamSpec p ? p.paramLabel() : "a value";
    }

    /** A command that stopped: the message, without a stack trace unless asked for. */
    private static int failure(Exception e, CommandLine cmd, PrintStream err) {
        String name = cmd.getCommandSpec().qualifiedName();
        if (e instanceof UsageException) {
            err.println(name + ": " + Printable.escape(e.getMessage()));
            err.println("Run '" + name + " --help' for the options.");
            return USAGE;
        }
        if (e instanceof UncheckedIOException u) {
            // a file that could not be read or written part way; the message names it and the reason
            err.println(name + ": " + Printable.escape(u.getCause().getMessage()));
            stackTrace(e, err, false);
            return FAILURE;
        }
        if (e instanceof IOException || e instanceof CommandFailure) {
            err.println(name + ": " + Printable.escape(e.getMessage()));
            stackTrace(e, err, false);
            return FAILURE;
        }
        // One line naming the command and the problem; the stack trace only when asked for.
        err.println(name + ": " + Printable.escape(e.toString()));
        stackTrace(e, err, true);
        return FAILURE;
    }

    private static void stackTrace(Throwable e, PrintStream err, boolean hint) {
        if (Boolean.getBoolean("kvplace.stacktrace")) {
            e.printStackTrace(err);
        } else if (hint) {
            err.println("(run with KVPLACE_JAVA_OPTS=-Dkvplace.stacktrace=true for the stack trace)");
        }
    }
}
