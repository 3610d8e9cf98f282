package org.kvplace.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.kvplace.core.trace.TraceHeader;
import org.kvplace.core.trace.TraceReader;
import org.kvplace.core.trace.TraceStep;
import org.kvplace.examples.llama.Printable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code kvplace trace FILE}: describes a binary trace: its header, how many units the steps read
 * (sparsity), and how much each step's reads overlap the previous position's reads of the same
 * layer, overall and per layer.
 */
@Command(name = "trace", description = {
    "Describe a trace file: steps, units read, sparsity, step-to-step overlap.",
    "",
    "Describes a kvplace trace file (.kvpt), such as one written by 'kvplace decode --record-trace' or"
        + " 'kvplace simulate --write-trace': the header, the units read per step against the units that"
        + " exist (sparsity), and the step-to-step overlap: the share of a step's units that the same layer"
        + " also read at the previous position. Per layer, then over all layers."})
final class TraceCommand implements Callable<Integer> {

    private final PrintStream out;
    private final PrintStream err;

    @Parameters(paramLabel = "FILE", description = "the trace file")
    String file;

    TraceCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        Path path = InputFiles.regularFile("FILE", "trace", file);
        try (TraceReader reader = TraceReader.open(path)) {
            TraceHeader h = reader.header();
            int layers = h.layers();
            long[] steps = new long[layers];
            long[] read = new long[layers];
            long[] exist = new long[layers];
            long[] overlap = new long[layers];
            long[] overlapBase = new long[layers];
            long[][] previous = new long[layers][];
            boolean[] hasPrevious = new boolean[layers];
            TraceStep step = TraceStep.forHeader(h);
            while (reader.next(step)) {
                int l = step.layer();
                long[] bits = step.readBits();
                int words = Math.ceilDiv(step.unitCount(), Long.SIZE);
                steps[l]++;
                read[l] += step.readCount();
                exist[l] += step.unitCount();
                if (previous[l] == null) {
                    previous[l] = new long[bits.length];
                }
                if (hasPrevious[l]) {
                    for (int w = 0; w < words; w++) {
                        overlap[l] += Long.bitCount(bits[w] & previous[l][w]);
                    }
                    overlapBase[l] += step.readCount();
                }
                System.arraycopy(bits, 0, previous[l], 0, words);
                java.util.Arrays.fill(previous[l], words, previous[l].length, 0L);
                hasPrevious[l] = true;
            }
            out.printf(Locale.ROOT, "trace      %s (%,d bytes)%n", path, Files.size(path));
            out.printf(Locale.ROOT, "header     %d prompt + %d decoded positions, %d layers, %d-token units, %s%n",
                    h.promptTokens(), h.decodeTokens(), layers, h.unitTokens(),
                    h.hasMass() ? "with attention masses" : "no attention masses");
            out.printf(Locale.ROOT, "%-8s %10s %14s %14s %10s %10s%n", "layer", "steps", "units read", "units exist",
                    "sparsity", "overlap");
            long allSteps = 0;
            long allRead = 0;
            long allExist = 0;
            long allOverlap = 0;
            long allBase = 0;
            for (int l = 0; l < layers; l++) {
                row(out, Integer.toString(l), steps[l], read[l], exist[l], overlap[l], overlapBase[l]);
                allSteps += steps[l];
                allRead += read[l];
                allExist += exist[l];
                allOverlap += overlap[l];
                allBase += overlapBase[l];
            }
            row(out, "all", allSteps, allRead, allExist, allOverlap, allBase);
            out.println("sparsity = 1 - units read / units that exist; overlap = share of a step's units that the same"
                    + " layer read at the previous position");
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            err.println("kvplace trace: " + Printable.escape(e.getMessage()));
            return 1;
        }
    }

    private static void row(PrintStream out, String label, long steps, long read, long exist, long overlap, long base) {
        out.printf(Locale.ROOT, "%-8s %,10d %,14d %,14d %9.1f%% %9.1f%%%n", label, steps, read, exist,
                exist == 0 ? 0.0 : 100.0 * (1 - read / (double) exist), base == 0 ? 0.0 : 100.0 * overlap / base);
    }
}
