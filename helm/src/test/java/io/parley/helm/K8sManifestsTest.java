package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;

/** k8s/base and k8s/overlays/demo: generated from the chart, and holding the same guarantees once built. */
class K8sManifestsTest {

    private static final List<String> GENERATED_DIRS = List.of("base", "overlays/demo");

    @BeforeAll
    static void writeWhenAsked() throws IOException {
        if (Boolean.getBoolean("parley.k8s.write")) {
            for (String dir : GENERATED_DIRS) {
                Chart.deleteTree(Chart.K8S.resolve(dir));
            }
            for (Map.Entry<String, String> file : K8sManifests.generate().entrySet()) {
                Path path = Chart.K8S.resolve(file.getKey());
                Files.createDirectories(path.getParent());
                Files.writeString(path, file.getValue());
            }
        }
    }

    static Map<String, String> onDisk() throws IOException {
        Map<String, String> files = new TreeMap<>();
        for (String dir : GENERATED_DIRS) {
            Path root = Chart.K8S.resolve(dir);
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.filter(Files::isRegularFile).toList()) {
                    files.put(Chart.K8S.relativize(path).toString(), Files.readString(path));
                }
            }
        }
        return files;
    }

    @Test
    void manifestsAreTheChartRenderedForKustomize() throws IOException {
        assertThat(onDisk()).as("k8s/base and k8s/overlays/demo are out of date with helm/parley; regenerate: "
                + "mvn -B -q -pl helm verify -Dparley.k8s.write=true").isEqualTo(K8sManifests.generate());
    }

    static List<Manifests.Doc> built(String dir) {
        List<Map<String, Object>> docs = Kustomize.build(Chart.K8S.resolve(dir));
        return Manifests.parse(docs.stream().map(Manifests::write).collect(Collectors.joining("---\n")));
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/demo" })
    void builtManifestsAreKnownKindsWithNoUnknownFieldsInOneNamespace(String dir) {
        List<Manifests.Doc> docs = built(dir);

        assertThat(docs).isNotEmpty();
        for (Manifests.Doc doc : docs) {
            if (Manifests.CUSTOM_KINDS.contains(doc.kind())) {
                assertThat(CustomResources.violations(doc, docs)).as(doc.id()).isEmpty();
            } else {
                assertThat(Manifests.isGeneric(doc)).as("%s is a kind the fabric8 model knows", doc.id()).isFalse();
                assertThat(Manifests.unknownFields(doc.typed())).as("unknown fields of %s", doc.id()).isEmpty();
            }
            if (!doc.kind().equals("Namespace")) {
                assertThat(doc.typed().getMetadata().getNamespace()).as(doc.id()).isEqualTo("parley");
            }
            assertThat(doc.typed().getMetadata().getLabels()).as(doc.id()).doesNotContainKey("helm.sh/chart");
            assertThat(doc.annotations().keySet()).as(doc.id()).noneMatch(key -> key.contains("hook"));
        }
        assertThat(docs).extracting(Manifests.Doc::kind).doesNotContain("Secret", "CustomResourceDefinition", "Pod");
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/demo" })
    void builtManifestsRunRestrictedWithRealProbesAndReferencedSecrets(String dir) {
        List<Manifests.Doc> docs = built(dir);
        List<Checks.PodOf> pods = Checks.pods(docs);

        assertThat(pods).extracting(Checks.PodOf::component).contains("chat", "registry", "proxy", "usage");
        for (Checks.PodOf pod : pods) {
            Checks.assertRestricted(pod);
            Checks.assertSecretsReferenced(pod);
            Checks.resolvedEnv(pod, docs); // every ConfigMap key a pod reads exists
            if (!"postgresql".equals(pod.component())) {
                Checks.assertProbesOnRealEndpoints(pod);
            }
        }
        assertThat(docs).filteredOn(doc -> doc.kind().equals("Namespace")).singleElement()
                .satisfies(ns -> assertThat(ns.typed().getMetadata().getLabels())
                        .containsEntry("pod-security.kubernetes.io/enforce", "restricted"));
    }

    /**
     * Issue 15: k8s/base admitted only port 8080, so the pods' {@code prometheus.io/port: "9000"} could not be scraped.
     * Port 9000 (/q/metrics) is admitted from the documented scraper selector of k8s/chart-values (pods and namespace
     * labelled {@code parley.io/metrics-scraper: "true"}) and from nothing else, as the chart's
     * {@code networkPolicy.metricsFrom} does.
     */
    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/demo" })
    void metricsPortIsAdmittedOnlyFromTheLabelledScraper(String dir) {
        List<Manifests.Doc> docs = built(dir);
        List<NetworkPolicy> policies = ChartBehaviourTest.ofType(docs, NetworkPolicy.class);
        Map<String, String> scraper = Map.of("parley.io/metrics-scraper", "true");
        for (String component : List.of("chat", "proxy", "registry", "usage")) {
            NetworkPolicy policy = ChartBehaviourTest.policy(policies, "parley-" + component);
            var metricsRules = policy.getSpec().getIngress().stream()
                    .filter(rule -> rule.getPorts().stream().anyMatch(port -> port.getPort().getIntVal() == 9000))
                    .toList();
            assertThat(metricsRules).as("%s: one rule admits port 9000", component).singleElement().satisfies(rule -> {
                assertThat(rule.getPorts()).as("and only port 9000").allSatisfy(
                        port -> assertThat(port.getPort().getIntVal()).isEqualTo(9000));
                assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
                    assertThat(peer.getNamespaceSelector().getMatchLabels()).isEqualTo(scraper);
                    assertThat(peer.getPodSelector().getMatchLabels()).isEqualTo(scraper);
                });
            });
            assertThat(Checks.pods(docs)).filteredOn(pod -> pod.component().equals(component)).singleElement()
                    .satisfies(pod -> assertThat(pod.spec().getContainers().get(0).getPorts())
                            .anySatisfy(port -> assertThat(port.getContainerPort()).isEqualTo(9000)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/demo" })
    void registryRbacIsOneNamespacedRoleWithExactlyTheInformerVerbs(String dir) {
        List<Manifests.Doc> docs = built(dir);

        List<Role> roles = ChartBehaviourTest.ofType(docs, Role.class);
        assertThat(roles).singleElement().satisfies(role -> Checks.assertRegistryRules(role.getRules()));
        assertThat(ChartBehaviourTest.ofType(docs, RoleBinding.class)).singleElement()
                .satisfies(binding -> assertThat(binding.getSubjects()).singleElement()
                        .satisfies(subject -> assertThat(subject.getNamespace()).isEqualTo("parley")));
        assertThat(ChartBehaviourTest.ofType(docs, ClusterRole.class)).isEmpty();
    }

    @Test
    void demoOverlayAddsPostgresTheSimulatorAndSamplesAndRepointsTheConfig() {
        List<Manifests.Doc> base = built("base");
        List<Manifests.Doc> demo = built("overlays/demo");

        List<String> added = new ArrayList<>(demo.stream().map(Manifests.Doc::id).toList());
        added.removeAll(base.stream().map(Manifests.Doc::id).toList());
        assertThat(added).contains("StatefulSet/parley-postgresql", "Deployment/parley-simulator",
                "Bundle/parley-simulator", "BundleDeployment/parley-simulator", "NetworkPolicy/parley-simulator");
        Map<String, String> registry = Checks.resolvedEnv(ChartBehaviourTest.registry(demo), demo);
        assertThat(registry).containsEntry("PARLEY_REGISTRY_SOURCE", "kubernetes,static")
                .containsEntry("PARLEY_SIMULATOR_URL", "http://parley-simulator:8080");
        assertThat(Checks.resolvedEnv(ChartBehaviourTest.pod(demo, "proxy"), demo))
                .containsEntry("PARLEY_DB_URL", "jdbc:postgresql://parley-postgresql:5432/parley_proxy");
        assertThat(Checks.resolvedEnv(ChartBehaviourTest.pod(base, "proxy"), base))
                .containsEntry("PARLEY_DB_URL", "jdbc:postgresql://postgresql.example.com:5432/parley_proxy");
    }

    @Test
    void builtManifestsLimitEgressExactlyLikeTheChart() {
        ChartEgressTest.assertEgress(ChartBehaviourTest.ofType(built("base"), NetworkPolicy.class),
                ChartEgressTest.portOnlyEgress(443));
        ChartEgressTest.assertEgress(ChartBehaviourTest.ofType(built("overlays/demo"), NetworkPolicy.class),
                ChartEgressTest.demoEgress(443));
    }

    @Test
    void demoSamplesValidateAgainstTheGeneratedCrds() {
        List<Manifests.Doc> demo = built("overlays/demo");
        Path generated = Chart.K8S.resolve("crds");
        List<Manifests.Doc> crds = Manifests.parseFiles(
                listYaml(Files.isDirectory(generated) ? generated : Chart.DIR.resolve("files/crds")));

        for (Manifests.Doc doc : demo) {
            if (Manifests.CUSTOM_KINDS.contains(doc.kind())) {
                assertThat(CustomResources.violations(doc, crds)).as(doc.id()).isEmpty();
            }
        }
    }

    static List<Path> listYaml(Path dir) {
        try (Stream<Path> paths = Files.list(dir)) {
            return paths.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Where a real kustomize is at hand ({@code kubectl kustomize}), it builds exactly what the emulation builds.
     * Skipped elsewhere (CI machines have no kubectl).
     */
    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/demo" })
    void realKustomizeBuildsTheSameDocumentsAsTheEmulation(String dir) throws Exception {
        Path kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .map(p -> Path.of(p, "kubectl")).filter(Files::isExecutable).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(kubectl != null, "no kubectl on PATH");
        Process process = new ProcessBuilder(kubectl.toString(), "kustomize", Chart.K8S.resolve(dir).toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(process.waitFor() == 0, "kubectl kustomize unavailable: " + output);

        assertThat(byId(Manifests.split(output))).isEqualTo(byId(Kustomize.build(Chart.K8S.resolve(dir))));
    }

    static Map<String, Map<String, Object>> byId(List<Map<String, Object>> docs) {
        Map<String, Map<String, Object>> byId = new TreeMap<>();
        docs.forEach(doc -> byId.put(doc.get("kind") + "/" + K8sManifests.metadata(doc).get("name"), doc));
        return byId;
    }

    /** k8s/samples/ (the registry's): its custom resources fit the CRDs, its RBAC is the chart's. */
    @Test
    void registrySamplesFitTheCrdsAndGrantWhatTheChartGrants() {
        Path samples = Chart.K8S.resolve("samples");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(samples), "no k8s/samples/ yet");
        List<Manifests.Doc> docs = Manifests.parseFiles(listYaml(samples));

        for (Manifests.Doc doc : docs) {
            if (Manifests.CUSTOM_KINDS.contains(doc.kind())) {
                assertThat(CustomResources.violations(doc, List.of())).as(doc.id()).isEmpty();
            } else if (doc.typed() instanceof Role role) {
                Checks.assertRegistryRules(role.getRules());
            } else if (doc.typed() instanceof ClusterRole role) {
                Checks.assertRegistryRules(role.getRules());
            }
        }
    }
}
