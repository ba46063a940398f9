package io.parley.usage.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * usage-service's packages point one way down (docs/architecture.md, "Layers"): {@code rest} (and {@code health}, the
 * OIDC readiness it consults) on top, then {@code service}, then {@code repository} (plain JDBC); {@code model} and
 * {@code config} are shared by all. No arrow back up, no package cycle, HTTP only in {@code rest}.
 */
class LayeringTest {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.parley.usage");

    @Test
    void layersPointOneWayDown() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("rest").definedBy("io.parley.usage.rest..")
                .layer("health").definedBy("io.parley.usage.health..")
                .layer("service").definedBy("io.parley.usage.service..")
                .layer("repository").definedBy("io.parley.usage.repository..")
                .layer("model").definedBy("io.parley.usage.model..", "io.parley.usage.config..")
                .whereLayer("rest").mayNotBeAccessedByAnyLayer()
                .whereLayer("health").mayOnlyBeAccessedByLayers("rest")
                .whereLayer("service").mayOnlyBeAccessedByLayers("rest")
                .whereLayer("repository").mayOnlyBeAccessedByLayers("service")
                .check(CLASSES);
    }

    @Test
    void packagesHaveNoCycle() {
        slices().matching("io.parley.usage.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void onlyRestSpeaksHttp() {
        noClasses().that().resideOutsideOfPackage("io.parley.usage.rest..")
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.ws.rs..", "org.jboss.resteasy..")
                .check(CLASSES);
    }
}
