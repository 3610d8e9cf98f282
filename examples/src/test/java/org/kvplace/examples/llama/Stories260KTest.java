package org.kvplace.examples.llama;

import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the test classes that run the stories260K model: loads it once before a class's tests
 * (skipping them with a message when the file is absent, see {@link TestModels}) and closes it after.
 */
abstract class Stories260KTest {

    static LlamaModel model;

    @BeforeAll
    static void loadModel() throws IOException {
        model = LlamaModel.load(TestModels.stories260K());
    }

    @AfterAll
    static void closeModel() {
        if (model != null) {
            model.close();
            model = null;
        }
    }
}
