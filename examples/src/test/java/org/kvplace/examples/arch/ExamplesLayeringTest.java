package org.kvplace.examples.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The examples are written against kvplace's API: no Vector API and no kernel internals here. */
class ExamplesLayeringTest {

    private static JavaClasses examples;

    @BeforeAll
    static void importExamples() {
        examples = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.kvplace.examples");
        assertTrue(examples.size() > 20, "imported only " + examples.size() + " classes of org.kvplace.examples");
    }

    @Test
    void noVectorApiInTheExamples() {
        noClasses().should().dependOnClassesThat().resideInAPackage("jdk.incubator.vector..").check(examples);
    }

    @Test
    void noKernelInternalsInTheExamples() {
        noClasses().should().dependOnClassesThat().resideInAPackage("org.kvplace.kernels.internal..")
                .check(examples);
    }
}
