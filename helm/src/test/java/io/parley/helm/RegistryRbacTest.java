package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The RBAC of the chart, k8s/base and k8s/samples grants exactly what the registry's code reads from the API server:
 * the Kubernetes client calls of its sources are pods, services and the generic SambaStack kinds, nothing else (no
 * statefulsets: a pod's owner StatefulSet comes from its ownerReferences), and the Secrets of credential references
 * ({@code health.CredentialResolver}), which credentials-role.yaml grants with get only.
 */
class RegistryRbacTest {

    @Test
    void theRegistryCallsOnlyPodsServicesAndTheSambaStackKinds() throws IOException {
        Set<String> calls = new TreeSet<>();
        Pattern call = Pattern.compile("\\b(?:client\\(?\\)?|clients\\.get\\(\\))\\.(\\w+)\\(");
        try (Stream<Path> files = Files.walk(RegistryKinds.REGISTRY)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(file);
                if (!text.contains("KubernetesClient")) {
                    continue;
                }
                Matcher m = call.matcher(text);
                while (m.find()) {
                    calls.add(m.group(1));
                }
            }
        }
        assertThat(calls).as("KubernetesClient calls of the registry; a new one needs its RBAC rule")
                .containsExactlyInAnyOrder("getNamespace", "genericKubernetesResources", "pods", "services", "secrets");
        assertThat(RegistryKinds.plurals()).containsExactlyInAnyOrder("bundles", "bundledeployments", "models",
                "modelprofiles", "modelbundles", "modeldeployments");
    }
}
