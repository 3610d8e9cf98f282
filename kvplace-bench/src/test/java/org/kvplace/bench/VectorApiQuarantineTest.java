package org.kvplace.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Vector API stays in one package: only {@code org.kvplace.kernels.internal..} imports
 * {@code jdk.incubator.vector}, and only kvplace-kernels and the benchmarks reach into that
 * package. Checked over core, kernels and bench, the modules on this module's path.
 */
class VectorApiQuarantineTest {

    private static JavaClasses all;

    @BeforeAll
    static void importAll() {
        all = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.kvplace");
        // Each module must be there, or the rules below would pass vacuously.
        for (String p : new String[] {"org.kvplace.core.", "org.kvplace.kernels.internal.", "org.kvplace.bench."}) {
            assertTrue(all.stream().anyMatch(c -> c.getName().startsWith(p)), "no class of " + p + " imported");
        }
        // And the kernels' own use of the Vector API must be seen, or the first rule could not fail.
        assertTrue(all.stream().anyMatch(c -> c.getDirectDependenciesFromSelf().stream()
                .anyMatch(d -> d.getTargetClass().getPackageName().equals("jdk.incubator.vector"))),
                "no dependency on jdk.incubator.vector seen");
    }

    @Test
    void onlyTheKernelsInternalPackageUsesTheVectorApi() {
        noClasses().that().resideOutsideOfPackage("org.kvplace.kernels.internal..")
                .should().dependOnClassesThat().resideInAPackage("jdk.incubator.vector..")
                .check(all);
    }

    @Test
    void onlyKernelsAndBenchmarksReachTheInternalPackage() {
        noClasses().that().resideOutsideOfPackages("org.kvplace.kernels..", "org.kvplace.bench..")
                .should().dependOnClassesThat().resideInAPackage("org.kvplace.kernels.internal..")
                .check(all);
    }
}
