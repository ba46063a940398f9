package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;

class CrdSyncTest {

    static Map<String, String> crdFiles(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.list(dir)) {
            for (Path path : paths.toList()) {
                String name = path.getFileName().toString();
                if (name.endsWith(".yml") || name.endsWith(".yaml")) {
                    files.put(name, Files.readString(path));
                }
            }
        }
        return files;
    }

    @Test
    void chartShipsExactlyTheGeneratedCrds() throws IOException {
        Path generated = Chart.K8S.resolve("crds");
        Map<String, String> chart = crdFiles(Chart.DIR.resolve("files/crds"));
        if (Files.isDirectory(generated)) {
            assertThat(chart).as("helm/parley/files/crds/ must equal k8s/crds/ (the helm build copies them; "
                    + "delete stale files and run: mvn -pl helm verify)").isEqualTo(crdFiles(generated));
        }
        List<CustomResourceDefinition> crds = Manifests.parseFiles(
                chart.keySet().stream().map(name -> Chart.DIR.resolve("files/crds").resolve(name)).toList())
                .stream().map(doc -> doc.as(CustomResourceDefinition.class)).toList();
        assertThat(crds).extracting(crd -> crd.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(RegistryKinds.plurals().stream().map(p -> p + ".sambanova.ai")
                        .toList());
        assertThat(crds).allSatisfy(crd -> {
            assertThat(crd.getSpec().getGroup()).isEqualTo("sambanova.ai");
            assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
            assertThat(crd.getSpec().getVersions()).extracting(v -> v.getName()).contains("v1alpha1");
        });
    }
}
