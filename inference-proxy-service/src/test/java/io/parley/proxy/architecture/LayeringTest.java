package io.parley.proxy.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The proxy's packages point one way (issue 18): {@code rest} and {@code health} (entry points) → {@code security}
 * (authentication) → the service layer ({@code service}, {@code stream}, {@code translate}, {@code limits},
 * {@code keys}, {@code usage}) → {@code client}; {@code config}, {@code metrics} and {@code sse} (the event-stream codec)
 * may be used by all. No package cycle; errors of the service layer are {@code service.ServiceError}, mapped to HTTP in
 * {@code rest} only.
 */
class LayeringTest {

    private static final JavaClasses PROXY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.parley.proxy");

    @Test
    void layersPointDownOnly() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Entry").definedBy("io.parley.proxy.rest..", "io.parley.proxy.health..")
                .layer("Security").definedBy("io.parley.proxy.security..")
                .layer("Service").definedBy("io.parley.proxy.service..", "io.parley.proxy.stream..",
                        "io.parley.proxy.translate..", "io.parley.proxy.limits..", "io.parley.proxy.keys..",
                        "io.parley.proxy.usage..")
                .layer("Client").definedBy("io.parley.proxy.client..")
                .layer("Base").definedBy("io.parley.proxy.config..", "io.parley.proxy.metrics..",
                        "io.parley.proxy.sse..")
                .whereLayer("Entry").mayNotBeAccessedByAnyLayer()
                .whereLayer("Security").mayOnlyBeAccessedByLayers("Entry")
                .whereLayer("Service").mayOnlyBeAccessedByLayers("Entry", "Security")
                .whereLayer("Client").mayOnlyBeAccessedByLayers("Entry", "Service")
                .check(PROXY);
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.parley.proxy.(*)..").should().beFreeOfCycles().check(PROXY);
    }

    @Test
    void httpStatusesAreChosenInRestOnly() {
        noClasses().that().resideOutsideOfPackages("io.parley.proxy.rest..")
                .should().dependOnClassesThat().resideInAPackage("io.parley.proxy.rest..")
                .check(PROXY);
    }
}
