package org.kvplace.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kvplace make-model}, then {@code kvplace decode --threads} and {@code kvplace bench} on its output. */
class MakeModelCommandTest {

    private static final String[] SMALL = {"--dim", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ffn",
        "96", "--vocab", "600", "--context", "128"};

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String[] makeModel(Path target, String type) {
        String[] args = new String[SMALL.length + 5];
        args[0] = "make-model";
        args[1] = "--output";
        args[2] = target.toString();
        args[3] = "--type";
        args[4] = type;
        System.arraycopy(SMALL, 0, args, 5, SMALL.length);
        return args;
    }

    @Test
    void shouldWriteAModelThatDecodesIdenticallyOnOneAndTwoThreads() throws IOException {
        Path model = dir.resolve("models").resolve("small.gguf");
        assertEquals(0, run(makeModel(model, "q8_0")), err.toString(StandardCharsets.UTF_8));
        assertTrue(Files.isRegularFile(model));
        try (Stream<Path> files = Files.list(model.getParent())) {
            assertEquals(1, files.count(), "only the model, no temporary file");
        }
        assertEquals(0, run("decode", "--model", model.toString(), "--tokens", "30", "--no-stop"));
        String one = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, run("decode", "--model", model.toString(), "--tokens", "30", "--no-stop", "--threads", "2"));
        assertEquals(one, out.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("on 2 threads"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldBenchAModelAtADepthOnEachThreadCount() {
        Path model = dir.resolve("small.gguf");
        assertEquals(0, run(makeModel(model, "f16")), err.toString(StandardCharsets.UTF_8));
        assertEquals(0, run("bench", "--model", model.toString(), "--depth", "40", "--tokens", "3", "--warmup", "1",
                "--threads", "1,2", "--runs", "2", "--baseline-mib", "8"), err.toString(StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        String[] lines = table.split("\n");
        assertTrue(lines[0].startsWith("threads  tokens/s"), table);
        assertTrue(lines[1].startsWith("      1 ") && lines[2].startsWith("      2 ")
                && lines[3].startsWith("      1 ") && lines[4].startsWith("      2 "), "alternating runs: " + table);
        assertTrue(table.contains("median"), table);
        assertEquals(0, run("bench", "--model", model.toString(), "--depth", "8", "--tokens", "2", "--fill", "model",
                "--runs", "1", "--baseline-mib", "8"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRejectBadShapesAndTypesAsUsageErrors() {
        assertEquals(2, run(makeModel(dir.resolve("a.gguf"), "q4_0")));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--type must be f32, f16 or q8_0, got 'q4_0'"),
                err.toString(StandardCharsets.UTF_8));
        assertEquals(2, run("make-model", "--output", dir.resolve("b.gguf").toString(), "--dim", "64", "--heads", "5"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--dim 64 is not a multiple of --heads 5"),
                err.toString(StandardCharsets.UTF_8));
        assertEquals(2, run("make-model", "--output", dir.resolve("c.gguf").toString(), "--dim", "48", "--heads", "4",
                "--kv-heads", "2", "--type", "q8_0"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not a multiple of the Q8_0 block of 32"),
                err.toString(StandardCharsets.UTF_8));
        assertEquals(2, run("bench", "--model", dir.resolve("none.gguf").toString(), "--fill", "zeros"));
        assertEquals(2, run("decode", "--threads", "0"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--threads must be in [1, "),
                err.toString(StandardCharsets.UTF_8));
    }
}
