package org.kvplace.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.kvplace.core.model.CostModelKind;
import org.kvplace.core.model.CostModel;
import org.kvplace.core.model.HardwareProfile;
import org.kvplace.core.model.ModelProfile;
import org.kvplace.core.trace.AccessTrace;
import org.kvplace.core.trace.GeneratorConfig;
import org.kvplace.core.trace.TraceGenerator;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceSource;
import org.kvplace.core.trace.Traces;
import org.kvplace.examples.llama.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvplace simulate}: replays a trace through placement policies under the cost model and
 * prints one row per policy and reference; optionally a CSV and PNG charts.
 */
@Command(name = "simulate", description = {
    "Replay an access trace through placement policies under the cost model.",
    "",
    "Replays a trace (one of --trace, --generate, --import-text; default: --generate with the quick"
        + " scenario's values) through placement policies and prints one row per policy and reference;"
        + " optionally a CSV and PNG charts."})
final class SimulateCommand implements Callable<Integer> {

    /** The reduced-scale scenario of {@code --scenario quick}. */
    static final String QUICK_TRACE = "prompt=31299,decode=512,layers=32,unit=1,sparsity=0.6,variation=real,seed=1";

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--trace", paramLabel = "FILE", description = "a binary trace file (.kvpt)")
    String tracePath;

    @Option(names = "--generate", paramLabel = "SPEC", description = "a generated trace, SPEC = key=value,... with"
            + " keys prompt, decode, layers, unit (1 = tokens, 16 = pages), sparsity (0.6 or 60), sinks, recent,"
            + " recency, variation (low|real|high|fraction), seed, stable (share never replaced), early=K:V (first"
            + " K layers replace V per token), shift (probability of a redraw); unset keys take the paper's scale"
            + " (31299 + 10240 tokens, 32 layers)")
    String generate;

    @Option(names = "--import-text", paramLabel = "FILE", description = "text lines n,l,s,[skipped ids],flag, or"
            + " the paper author's CSV (header n,l,read_kv), told apart by the first line")
    String importText;

    @Option(names = "--write-trace", paramLabel = "FILE", description = "also write the trace to a binary file"
            + " first, and replay that")
    String writeTrace;

    @Option(names = "--profile", paramLabel = "NAME|FILE", description = "gh200 (default), h100-pcie5, or a"
            + " .properties file")
    String profile = "gh200";

    @Option(names = "--cost-model", paramLabel = "MODEL", description = "kvplace (default), paper (the author's"
            + " inclusive model; also 'inclusive') or both (one table each); a profile file may set it with"
            + " cost.model=")
    String costModel;

    @Option(names = "--model", paramLabel = "NAME|FILE", description = "llama3.1-8b-mha (default), llama3.1-8b, or"
            + " a .properties file")
    String modelName = "llama3.1-8b-mha";

    @Option(names = "--batch", paramLabel = "N", description = "sequences decoded in lockstep, in [1, 65536]"
            + " (default: the model's, 1)")
    Integer batch;

    @Option(names = "--policy", paramLabel = "LIST", description = "comma list of all (default), static, reactive,"
            + " arc, balance, page, oracle, all-fast, balanced-bound, oracle:WN:R (oracle = annealing search;"
            + " balance = kvplace's online policy); in the paper model also paper-static, paper-reactive,"
            + " paper-page, paper-sa[:WN:R[:SPLITS]], paper-all-fast, paper-bound")
    String policySpec = "all";

    @Option(names = "--anneal-budget", paramLabel = "N", description = "replays of the oracle's annealing search,"
            + " in [1, 10000] (default ${DEFAULT-VALUE})")
    int budget = 12;

    @Option(names = "--max-window", paramLabel = "N", description = "largest Wn the search tries, in [1, 4096]"
            + " (default ${DEFAULT-VALUE})")
    int maxWindow = 32;

    @Option(names = "--search-threads", paramLabel = "N", description = "replays of the annealing search run on up"
            + " to N threads at once, the next points guessed beside the one it waits for; the same outcome on any"
            + " number, in [1, 64] (default: the number of processors)")
    Integer searchThreads;

    @Option(names = "--csv", paramLabel = "FILE", description = "one row per policy: policy,total_time_s,"
            + "tokens_per_s,fast_hit_rate,bytes_fast,bytes_slow,bytes_migrated")
    String csv;

    @Option(names = "--plot", paramLabel = "DIR", description = "write " + Evaluation.THROUGHPUT_PNG + " and "
            + Evaluation.HIT_RATE_PNG)
    String plot;

    @Option(names = "--per-layer", description = "also print each policy's time and hit rate per layer")
    boolean perLayer;

    @Option(names = "--progress", negatable = true, description = "a progress bar on standard error, or none"
            + " (default: a bar only when running in a terminal)")
    Boolean progressOption;

    @Option(names = "--scenario", paramLabel = "NAME", description = "quick: every policy against the references"
            + " on a reduced scale (" + QUICK_TRACE + ", llama3.1-8b-mha, gh200), charts in kvplace-out/quick;"
            + " report: regenerate docs/reproduction.md and its charts (see docs)")
    String scenario;

    @Option(names = "--out", paramLabel = "DIR", description = "where --scenario report writes (default ${DEFAULT-VALUE})")
    String reportDir = "docs";

    SimulateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        int batch = this.batch == null ? 0 : Main.range("--batch", this.batch, 1, 1 << 16);
        int budget = Main.range("--anneal-budget", this.budget, 1, 10_000);
        int maxWindow = Main.range("--max-window", this.maxWindow, 1, 4096);
        int searchThreads = this.searchThreads == null ? Math.min(64, Runtime.getRuntime().availableProcessors())
                : Main.range("--search-threads", this.searchThreads, 1, 64);
        String generate = this.generate;
        String csv = this.csv;
        String plot = this.plot;
        boolean progress = progressOption != null ? progressOption : ProgressBar.terminal();
        if (scenario != null) {
            switch (scenario) {
                case "quick" -> {
                    if (generate == null && tracePath == null && importText == null) {
                        generate = QUICK_TRACE;
                    }
                    if (plot == null) {
                        plot = "kvplace-out/quick";
                    }
                    if (csv == null) {
                        csv = "kvplace-out/quick/results.csv";
                    }
                }
                case "report" -> {
                    new Outputs().outputDirectory("--out", reportDir); // before minutes of replays
                    try {
                        return ReproductionReport.run(Path.of(reportDir), out, err, progress);
                    } catch (IOException e) {
                        err.println("kvplace simulate: " + Printable.escape(e.getMessage()));
                        return 1;
                    }
                }
                default -> throw new UsageException("unknown scenario '" + scenario + "' (known: quick, report)");
            }
        }
        int sources = (tracePath != null ? 1 : 0) + (generate != null ? 1 : 0) + (importText != null ? 1 : 0);
        if (sources > 1) {
            throw new UsageException("give one of --trace, --generate, --import-text");
        }
        if (sources == 0) {
            generate = QUICK_TRACE;
        }
        // Every file is checked before any work: inputs readable, outputs writable and none of them
        // an input (a run of minutes must not end in a failed write, nor write over what it reads).
        Outputs files = new Outputs();
        Path traceFile = tracePath == null ? null : InputFiles.regularFile("--trace", "trace", tracePath);
        Path textFile = importText == null ? null : InputFiles.regularFile("--import-text", "text trace", importText);
        if (tracePath != null) {
            files.input("--trace", tracePath);
        }
        if (importText != null) {
            files.input("--import-text", importText);
        }
        if (profile.endsWith(".properties")) {
            InputFiles.regularFile("--profile", "hardware profile", profile);
            files.input("--profile", profile);
        }
        if (modelName.endsWith(".properties")) {
            InputFiles.regularFile("--model", "model profile", modelName);
            files.input("--model", modelName);
        }
        Path writePath = writeTrace == null ? null : files.output("--write-trace", writeTrace);
        Path csvPath = csv == null ? null : files.output("--csv", csv);
        Path plotDir = null;
        if (plot != null) {
            plotDir = files.outputDirectory("--plot", plot);
            files.output("--plot", plotDir.resolve(Evaluation.THROUGHPUT_PNG).toString());
            files.output("--plot", plotDir.resolve(Evaluation.HIT_RATE_PNG).toString());
        }
        HardwareProfile hw;
        ModelProfile model;
        List<String> policies;
        List<String> paperPolicies = List.of();
        List<CostModelKind> kinds;
        TraceSource source;
        String sourceName;
        try {
            CostModelKind fromProfile = null;
            if (profile.endsWith(".properties")) {
                hw = HardwareProfile.load(Path.of(profile));
                Properties props = new Properties();
                try (InputStream in = Files.newInputStream(Path.of(profile))) {
                    props.load(in);
                }
                fromProfile = CostModelKind.fromProperties(props, profile);
            } else {
                hw = HardwareProfile.preset(profile);
            }
            if (costModel != null && costModel.strip().equalsIgnoreCase("both")) {
                kinds = List.of(CostModelKind.KVPLACE, CostModelKind.PAPER);
            } else if (costModel != null) {
                kinds = List.of(CostModelKind.parse(costModel, "--cost-model"));
            } else {
                kinds = List.of(fromProfile != null ? fromProfile : CostModelKind.KVPLACE);
            }
            model = modelName.endsWith(".properties") ? ModelProfile.load(Path.of(modelName))
                    : ModelProfile.preset(modelName);
            if (batch > 0) {
                model = model.withBatch(batch);
            }
            policies = kinds.contains(CostModelKind.KVPLACE) ? Evaluation.parsePolicies(policySpec) : List.of();
            if (kinds.contains(CostModelKind.PAPER)) {
                paperPolicies = PaperEvaluation.parsePolicies(policySpec);
            }
            if (generate != null) {
                source = TraceGenerator.source(GeneratorConfig.parse(generate));
                sourceName = "--generate " + generate;
            } else if (traceFile != null) {
                source = () -> TraceReader.open(traceFile);
                sourceName = "--trace " + traceFile;
            } else {
                source = () -> Traces.openText(textFile);
                sourceName = "--import-text " + textFile;
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        } catch (IOException e) {
            throw new CommandFailure(e.getMessage(), e);
        }
        try {
            if (writePath != null) {
                long bytes;
                try (Outputs.AtomicFile f = Outputs.AtomicFile.create(writePath); AccessTrace t = source.open()) {
                    bytes = Traces.write(t, f.stream());
                    f.commit();
                }
                err.printf(Locale.ROOT, "wrote %s (%,d bytes)%n", writeTrace, bytes);
                source = () -> TraceReader.open(writePath);
            }
            TraceHeader h;
            try (AccessTrace t = source.open()) {
                h = t.header();
            }
            if (h.decodeTokens() == 0) {
                throw new CommandFailure(sourceName + ": the trace decodes no tokens (0 decode positions); there is"
                        + " no throughput to simulate");
            }
            new CostModel(hw, model).checkFits((long) h.promptTokens() + h.decodeTokens());
            describe(h, hw, model, generate, out);
            List<Evaluation.Row> rows = new ArrayList<>();
            for (CostModelKind kind : kinds) {
                List<Evaluation.Row> part = kind == CostModelKind.PAPER
                        ? PaperEvaluation.run(source, hw, model, paperPolicies, err, progress)
                        : Evaluation.run(source, hw, model, policies, budget, maxWindow, searchThreads, err,
                                progress);
                if (kinds.size() > 1 || kind == CostModelKind.PAPER) {
                    out.println("cost model: " + kind.label() + (kind == CostModelKind.PAPER
                            ? " (the paper author's simulator, inclusive)" : ""));
                }
                Evaluation.printTable(part, out);
                rows.addAll(part);
            }
            if (perLayer) {
                Evaluation.printPerLayer(rows, out);
            }
            for (Evaluation.Row r : rows) {
                if (r.steps() > 0) {
                    out.printf(Locale.ROOT, "  %s: %,d steps in %.1f s = %,.0f simulated steps/s%n", r.label(),
                            r.steps(), r.wallSeconds(), r.steps() / r.wallSeconds());
                }
            }
            if (csvPath != null) {
                Evaluation.writeCsv(rows, csvPath);
                out.println("wrote " + csv);
            }
            if (plotDir != null) {
                for (Path p : Evaluation.plot(rows, plotDir, hw.name() + ", " + model.name() + " x"
                        + model.batch())) {
                    out.println("wrote " + p);
                }
            }
            return 0;
        } catch (IOException | UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            err.println();
            err.println("kvplace simulate: " + Printable.escape(message(e, sourceName)));
            return 1;
        }
    }

    /**
     * The message of a failed run; a bare decoding error of the JDK ({@code Input length = 1}) says
     * which source could not be read and why.
     */
    static String message(Exception e, String sourceName) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (t instanceof java.nio.charset.CharacterCodingException) {
            return "cannot read " + sourceName + ": not valid UTF-8 text (" + t.getMessage() + ")";
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    static void describe(TraceHeader h, HardwareProfile hw, ModelProfile model, String generate, PrintStream out) {
        CostModel cm = new CostModel(hw, model);
        long tokens = (long) h.promptTokens() + h.decodeTokens();
        double kvTotal = (double) tokens * model.kvBytesPerToken() * model.layers() * model.batch();
        out.printf(Locale.ROOT, "trace: %d prompt + %d decoded tokens, %d layers, %s granularity%s%n",
                h.promptTokens(), h.decodeTokens(), h.layers(), h.unitTokens() == 1 ? "token"
                        : h.unitTokens() + "-token page", generate != null ? " (" + generate + ")" : "");
        out.printf(Locale.ROOT, "model: %s, batch %d: %.2f GB of KV at the end, %.1f GB of weights%n", model.name(),
                model.batch(), kvTotal / 1e9, model.totalWeightBytes() / 1e9);
        out.printf(Locale.ROOT, "profile: %s: fast %.2f TB/s, %.0f GB (%.2f GB left for KV); slow link %.0f+%.0f GB/s,"
                + " DRAM %.0f GB/s%n", hw.name(), hw.fastBandwidth() / 1e12, hw.fastCapacity() / 1e9,
                cm.fastKvCapacity() / 1e9, hw.slowRead() / 1e9, hw.slowWrite() / 1e9, hw.slowDram() / 1e9);
        if (Files.exists(Path.of("."))) {
            out.println();
        }
    }
}
