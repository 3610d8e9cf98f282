package org.kvplace.core.arch;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of kvplace-core: packages depend downwards only, never in a cycle, and no
 * class here touches the Vector API (that lives in kvplace-kernels' internal package).
 */
class LayeringTest {

    private static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.kvplace.core");
        // A wrong class path would import nothing and pass every rule below vacuously.
        assertTrue(core.size() > 50, "imported only " + core.size() + " classes of org.kvplace.core");
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("org.kvplace.core.(*)..").should().beFreeOfCycles().check(core);
    }

    @Test
    void packagesDependDownwardsOnly() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("memory").definedBy("org.kvplace.core.memory..")
                .layer("layout").definedBy("org.kvplace.core.layout..")
                .layer("kernel").definedBy("org.kvplace.core.kernel..")
                .layer("attention").definedBy("org.kvplace.core.attention..")
                .layer("cache").definedBy("org.kvplace.core.cache..")
                .layer("model").definedBy("org.kvplace.core.model..")
                .layer("trace").definedBy("org.kvplace.core.trace..")
                .layer("placement").definedBy("org.kvplace.core.placement..")
                .layer("sim").definedBy("org.kvplace.core.sim..")
                .layer("engine").definedBy("org.kvplace.core.engine..")
                .whereLayer("engine").mayNotBeAccessedByAnyLayer()
                .whereLayer("sim").mayOnlyBeAccessedByLayers("engine")
                .whereLayer("placement").mayOnlyBeAccessedByLayers("sim", "engine")
                .whereLayer("trace").mayOnlyBeAccessedByLayers("placement", "sim", "engine")
                .whereLayer("model").mayOnlyBeAccessedByLayers("placement", "sim", "engine")
                .whereLayer("cache").mayOnlyBeAccessedByLayers("engine")
                .whereLayer("attention").mayOnlyBeAccessedByLayers("cache", "engine")
                .whereLayer("kernel").mayOnlyBeAccessedByLayers("attention", "cache", "engine")
                .whereLayer("layout").mayOnlyBeAccessedByLayers("kernel", "attention", "cache", "engine")
                .whereLayer("memory").mayOnlyBeAccessedByLayers("layout", "kernel", "attention", "cache", "engine")
                .withOptionalLayers(true)
                .check(core);
    }

    @Test
    void noVectorApiInCore() {
        noClasses().should().dependOnClassesThat().resideInAPackage("jdk.incubator.vector..").check(core);
    }
}
