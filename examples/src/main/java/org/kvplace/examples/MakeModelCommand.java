package org.kvplace.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kvplace.examples.llama.GgmlType;
import org.kvplace.examples.llama.LlamaConfig;
import org.kvplace.examples.llama.RandomLlama;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code kvplace make-model}: writes a random-weight Llama GGUF with the layer shapes of a real
 * model (by default TinyLlama 1.1B's), for measuring {@code kvplace decode} at realistic sizes.
 */
@Command(name = "make-model", description = {
    "Write a random-weight Llama GGUF with a real model's layer shapes (for speed measurements).",
    "",
    "The default shape is TinyLlama 1.1B's: dim 2048, 22 layers, 32 query / 4 KV heads of 64, FFN 5632,"
        + " vocabulary 32000 (about 1.1 billion parameters: 2.2 GB in F16, 1.2 GB in Q8_0). The weights are"
        + " random, so the text it generates is noise; the tokenizer is a minimal valid one. The file is"
        + " written to a temporary file beside the output and renamed into place when complete."},
        footer = {"", "Example:", "  kvplace make-model --output kvplace-out/models/tiny-q8.gguf --type q8_0%n"})
final class MakeModelCommand implements Callable<Integer> {

    private final PrintStream out;
    private final PrintStream err;

    @Option(names = "--output", paramLabel = "FILE", required = true, description = "the GGUF file to write")
    String output;

    @Option(names = "--type", paramLabel = "f32|f16|q8_0", converter = WeightType.class,
            description = "element type of the matrices (default f16; norm weights are f32)")
    GgmlType type = GgmlType.F16;

    @Option(names = "--dim", paramLabel = "N", description = "embedding width (default ${DEFAULT-VALUE})")
    int dim = 2048;

    @Option(names = "--layers", paramLabel = "N", description = "transformer blocks (default ${DEFAULT-VALUE})")
    int layers = 22;

    @Option(names = "--heads", paramLabel = "N", description = "query heads (default ${DEFAULT-VALUE})")
    int heads = 32;

    @Option(names = "--kv-heads", paramLabel = "N", description = "key/value heads (default ${DEFAULT-VALUE})")
    int kvHeads = 4;

    @Option(names = "--ffn", paramLabel = "N", description = "feed-forward width (default ${DEFAULT-VALUE})")
    int ffn = 5632;

    @Option(names = "--vocab", paramLabel = "N", description = "vocabulary size (default ${DEFAULT-VALUE})")
    int vocab = 32000;

    @Option(names = "--context", paramLabel = "N", description = "llama.context_length (default ${DEFAULT-VALUE})")
    int context = 17408;

    @Option(names = "--seed", paramLabel = "S", description = "seed of the weights (default ${DEFAULT-VALUE})")
    long seed = 1;

    MakeModelCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** {@code --type}: {@code f32}, {@code f16} or {@code q8_0}. */
    static final class WeightType implements ITypeConverter<GgmlType> {
        @Override
        public GgmlType convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "f32" -> GgmlType.F32;
                case "f16" -> GgmlType.F16;
                case "q8_0" -> GgmlType.Q8_0;
                default -> throw new TypeConversionException("must be f32, f16 or q8_0, got '" + value + "'");
            };
        }
    }

    @Override
    public Integer call() throws IOException {
        int dim = Main.range("--dim", this.dim, 2, 1 << 16);
        int layers = Main.range("--layers", this.layers, 1, 1024);
        int heads = Main.range("--heads", this.heads, 1, 1024);
        int kvHeads = Main.range("--kv-heads", this.kvHeads, 1, heads);
        int ffn = Main.range("--ffn", this.ffn, 1, 1 << 18);
        int vocab = Main.range("--vocab", this.vocab, RandomLlama.FIXED_PIECES, 1 << 20);
        int context = Main.range("--context", this.context, 1, 1 << 24);
        if (dim % heads != 0) {
            throw new UsageException("--dim " + dim + " is not a multiple of --heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw new UsageException("--heads " + heads + " is not a multiple of --kv-heads " + kvHeads);
        }
        RandomLlama model;
        try {
            LlamaConfig c = new LlamaConfig(dim, layers, heads, kvHeads, dim / heads, ffn, vocab, context, 1e-5f,
                    10000f);
            model = new RandomLlama(c, type, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dim, --heads, --ffn, --type: " + e.getMessage());
        }
        Path target = new Outputs().output("--output", output);
        var writer = model.writer();
        long bytes = writer.fileBytes();
        Path dir = target.getParent();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        long usable = existing == null ? Long.MAX_VALUE : Files.getFileStore(existing).getUsableSpace();
        if (bytes > usable) {
            throw new CommandFailure("--output " + output + ": the model needs " + bytes + " bytes but " + dir
                    + " has " + usable + " bytes free");
        }
        LlamaConfig c = model.config();
        err.printf("writing    %s: %,d parameters, %s, %,d bytes%n", target, model.parameters(), type, bytes);
        err.printf("shape      %d layers, dim %d, %d heads / %d KV heads of %d, ffn %d, vocab %d, context %d%n",
                c.layers(), c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(), c.vocabSize(),
                c.contextLength());
        long t0 = System.nanoTime();
        try (Outputs.AtomicFile f = Outputs.AtomicFile.create(target)) {
            writer.write(f.stream());
            f.commit();
        }
        err.printf("written    in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        out.println(target);
        return 0;
    }
}
