package org.kvplace.examples.llama;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the stories260K test model beside the repository (never inside it). */
final class TestModels {

    static final String FILE = "stories260K-f32.gguf";

    private TestModels() {}

    /** The model path; skips the calling test with a clear message when the file is absent. */
    static Path stories260K() {
        // Tests run in the module directory (examples/); the model lives in ../shared/models of the repo root.
        Path[] candidates = {Path.of("..", "..", "shared", "models", FILE), Path.of("..", "shared", "models", FILE)};
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        assumeTrue(false, "test model " + FILE + " not found at ../shared/models/ beside the repository root;"
                + " skipping (see /work/shared/models/README.md)");
        throw new AssertionError("unreachable");
    }
}
