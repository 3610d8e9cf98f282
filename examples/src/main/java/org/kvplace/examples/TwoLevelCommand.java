package org.kvplace.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.kvplace.examples.llama.LlamaModel;
import org.kvplace.examples.llama.TwoLevelRealKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvplace two-level}: how much of the true attention mass flat and two-level page selection
 * capture, on synthetic keys ({@link TwoLevelSynthetic}) and on a real model's keys
 * ({@link TwoLevelRealKeys}, with {@code --model}). The tables of docs/decode.md, in Markdown, go to
 * standard output and, with {@code --output}, to a file; progress goes to standard error.
 */
@Command(name = "two-level", description = {
    "Attention mass captured by flat and two-level page selection: the tables of docs/decode.md.",
    "",
    "Synthetic keys: 8,192 tokens of 64-dimensional keys (2 KV heads, 8 query heads, 16-token pages, 32"
        + " groups of 16 pages), locally correlated (a drifting mean with topic segments) or scattered (the"
        + " control); per setting 3 sets of keys and 12 queries, the mass being exact softmax attention in double"
        + " precision. Real keys (with --model): the model decodes greedily and densely from BOS for 512"
        + " positions, and at every layer of positions 256 to 511 flat and two-level selection choose pages for"
        + " the same query; the mass is the dense step's. Both compare with a random choice of as many pages as"
        + " flat selection reads. Every figure is fixed by the seeds, so a run reproduces the tables."})
final class TwoLevelCommand implements Callable<Integer> {

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--model", paramLabel = "FILE", description = "also measure on the keys of this Llama GGUF model, such"
            + " as stories260K (its context must hold 512 positions)")
    String model;

    @Option(names = "--no-synthetic", description = "skip the synthetic keys (needs --model)")
    boolean noSynthetic;

    @Option(names = "--output", paramLabel = "FILE", description = "also write the tables to FILE (Markdown),"
            + " never over --model")
    String output;

    TwoLevelCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        if (noSynthetic && model == null) {
            throw new UsageException("--no-synthetic leaves nothing to measure without --model FILE");
        }
        // Files are checked before any measurement: the model readable, the output not the model.
        Outputs files = new Outputs();
        Path modelPath = null;
        if (model != null) {
            files.input("--model", model);
        }
        Path target = output == null ? null : files.output("--output", output);
        if (model != null) {
            modelPath = InputFiles.regularFile("--model", "model file", model);
        }
        StringBuilder report = new StringBuilder();
        if (!noSynthetic) {
            report.append(synthetic());
        }
        if (modelPath != null) {
            if (!report.isEmpty()) {
                report.append('\n');
            }
            report.append(realKeys(modelPath));
        }
        out.print(report);
        out.flush();
        if (target != null) {
            Outputs.writeString(target, report.toString());
            err.println("two-level: tables written to " + target);
        }
        return 0;
    }

    /** The synthetic keys' caption and table. */
    private String synthetic() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "Synthetic keys: %,d tokens, %d KV heads and %d"
                + " query heads of %d, %d-token pages (%d pages); %d sets of keys x %d queries per setting; N ="
                + " two-level oversample%n%n", TwoLevelSynthetic.TOKENS, TwoLevelSynthetic.KV_HEADS,
                TwoLevelSynthetic.QUERY_HEADS, TwoLevelSynthetic.HEAD_DIM, TwoLevelSynthetic.PAGE_TOKENS,
                TwoLevelSynthetic.PAGES, TwoLevelSynthetic.SEEDS.size(), TwoLevelSynthetic.QUERIES));
        s.append(TwoLevelSynthetic.header());
        for (TwoLevelSynthetic.Setting setting : TwoLevelSynthetic.SETTINGS) {
            long start = System.nanoTime();
            List<TwoLevelSynthetic.Row> rows = TwoLevelSynthetic.rows(setting);
            for (TwoLevelSynthetic.Row r : rows) {
                s.append(TwoLevelSynthetic.line(r));
            }
            err.printf(Locale.ROOT, "two-level: synthetic %s keys, alignment %.1f: %.1f s%n",
                    setting.keys().name().toLowerCase(Locale.ROOT), setting.alignment(), (System.nanoTime() - start) / 1e9);
        }
        return s.toString();
    }

    /** The real keys' caption and table. */
    private String realKeys(Path modelPath) throws IOException {
        StringBuilder s = new StringBuilder();
        try (LlamaModel m = LlamaModel.load(modelPath)) {
            if (m.config().contextLength() < TwoLevelRealKeys.TOKENS) {
                throw new UsageException("--model " + model + ": the model's context is " + m.config().contextLength()
                        + " positions; the measurement decodes " + TwoLevelRealKeys.TOKENS);
            }
            s.append(String.format(Locale.ROOT, "Real keys of %s: dense greedy decoding of %d positions, layers of"
                    + " positions %d to %d; P = tokens per page, B = budget in tokens, N = two-level oversample;"
                    + " each cell: mass captured (page bounds scored per layer-step)%n%n", modelPath.getFileName(),
                    TwoLevelRealKeys.TOKENS, TwoLevelRealKeys.FROM, TwoLevelRealKeys.TOKENS - 1));
            s.append(TwoLevelRealKeys.header());
            for (int pageTokens : TwoLevelRealKeys.PAGE_TOKENS) {
                long start = System.nanoTime();
                TwoLevelRealKeys.Captured r;
                try {
                    r = TwoLevelRealKeys.measure(m, pageTokens);
                } catch (IllegalStateException e) {
                    // a corrupt model found while decoding (non-finite weights); the message names the tensor
                    throw new CommandFailure("--model " + model + ": " + e.getMessage(), e);
                }
                s.append(TwoLevelRealKeys.lines(r));
                err.printf(Locale.ROOT, "two-level: %s, %d-token pages, %d layer-steps: %.1f s%n",
                        modelPath.getFileName(), pageTokens, r.steps(), (System.nanoTime() - start) / 1e9);
            }
        }
        return s.toString();
    }
}
