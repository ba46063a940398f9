package io.parley.registry.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The registry's packages point one way down (docs/architecture.md, "Layers"): {@code rest} and {@code health} (the
 * readiness checks) on top, then {@code service}, then what it reads from: {@code source}/{@code kubernetes}/
 * {@code sambastack}/{@code crd} (where models come from) and {@code probe} (the upstream health probes); {@code model}
 * and {@code config} are shared by all. No arrow back up, no package cycle, HTTP only in {@code rest}.
 */
class LayeringTest {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.parley.registry");

    @Test
    void layersPointOneWayDown() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("rest").definedBy("io.parley.registry.rest..")
                .layer("health").definedBy("io.parley.registry.health..")
                .layer("service").definedBy("io.parley.registry.service..")
                .layer("sources").definedBy("io.parley.registry.source..", "io.parley.registry.kubernetes..",
                        "io.parley.registry.sambastack..", "io.parley.registry.crd..")
                .layer("probe").definedBy("io.parley.registry.probe..")
                .layer("model").definedBy("io.parley.registry.model..", "io.parley.registry.config..")
                .whereLayer("rest").mayNotBeAccessedByAnyLayer()
                .whereLayer("health").mayNotBeAccessedByAnyLayer()
                .whereLayer("service").mayOnlyBeAccessedByLayers("rest", "health")
                .whereLayer("sources").mayOnlyBeAccessedByLayers("service", "health")
                .whereLayer("probe").mayOnlyBeAccessedByLayers("service")
                .check(CLASSES);
    }

    @Test
    void packagesHaveNoCycle() {
        slices().matching("io.parley.registry.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void onlyRestSpeaksHttp() {
        noClasses().that().resideOutsideOfPackage("io.parley.registry.rest..")
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.ws.rs..", "org.jboss.resteasy..")
                .check(CLASSES);
    }
}
