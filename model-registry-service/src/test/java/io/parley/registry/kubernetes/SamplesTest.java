package io.parley.registry.kubernetes;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.parley.registry.support.FakeUpstreamResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.path.json.JsonPath;

/**
 * Every object of {@code k8s/samples} loaded as it is into the mock API server (CRUD mode), with the pods the inference
 * operator would make for each sample deployment ({@code inf-<name>-cache-0}, {@code inf-<name>-q-<group>-n-<i>},
 * owned by their StatefulSets), so the samples cannot drift from what the registry parses; and the sample Role checked
 * against the requests the registry's informers really sent. The only change made to a sample: its
 * {@code parley.io/endpoint} annotation points at the test's upstream, since a sample cannot name a reachable address.
 */
@QuarkusTest
@TestProfile(SamplesProfile.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(FakeUpstreamResource.class)
class SamplesTest {

    static final String NS = "team-a";
    static final Path SAMPLES = Path.of("").toAbsolutePath().getParent().resolve("k8s/samples");
    static final String ALICE = TestTokens.user("alice", "user");
    static final Duration WAIT = Duration.ofSeconds(30);

    /**
     * What each sample deployment serves: deployment → serving name → expected {@code max_model_len}. A sample
     * deployment missing here, or a model listed that is not, fails the test.
     */
    static final Map<String, Map<String, Integer>> EXPECTED = Map.of(
            "llama-prod", Map.of("Meta-Llama-3.1-8B-Instruct", 8192, "Meta-Llama-3.1-70B-Instruct", 8192),
            "llama-3-3-prod", Map.of("Meta-Llama-3.3-70B-Instruct", 131072));

    /**
     * What the upstream's {@code /v1/models} says of each model's length: the legacy sample's from the upstream, the
     * current one's from nowhere (its ModelProfile's largest sequence length, 128k, is what must reach the list).
     */
    static final Map<String, Integer> UPSTREAM_LENGTH = Map.of("Meta-Llama-3.1-8B-Instruct", 8192,
            "Meta-Llama-3.1-70B-Instruct", 8192);

    @KubernetesTestServer
    KubernetesServer server;

    record Sample(Path file, HasMetadata object) {
    }

    List<Sample> samples() throws IOException {
        List<Sample> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(SAMPLES)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    client().load(in).items()
                            .forEach(o -> out.add(new Sample(file, o)));
                }
            }
        }
        assertThat("objects in " + SAMPLES, out, not(empty()));
        return out;
    }

    static boolean sambaStack(HasMetadata o) {
        return o.getApiVersion() != null && o.getApiVersion().startsWith("sambanova.ai/");
    }

    static boolean deployment(HasMetadata o) {
        return sambaStack(o) && o.getKind().endsWith("Deployment");
    }

    KubernetesClient client() {
        return server.getClient();
    }

    @BeforeEach
    void loadSamples() throws IOException {
        UPSTREAM.reset();
        for (Map<String, Integer> models : EXPECTED.values()) {
            models.keySet().forEach(name -> UPSTREAM.serve(name, UPSTREAM_LENGTH.get(name)));
        }
        for (Sample s : samples()) {
            HasMetadata o = s.object();
            if (sambaStack(o)) {
                GenericKubernetesResource r = (GenericKubernetesResource) o;
                Optional.ofNullable(r.getMetadata().getAnnotations()).filter(a -> a.containsKey("parley.io/endpoint"))
                        .ifPresent(a -> a.put("parley.io/endpoint", UPSTREAM.url()));
                String version = o.getApiVersion().substring(o.getApiVersion().indexOf('/') + 1);
                var ctx = new ResourceDefinitionContext.Builder().withGroup("sambanova.ai").withVersion(version)
                        .withKind(o.getKind()).withPlural(o.getKind().toLowerCase() + "s").withNamespaced(true).build();
                client().genericKubernetesResources(ctx).inNamespace(o.getMetadata().getNamespace()).resource(r)
                        .createOr(NonDeletingOperation::update);
            } else {
                client().resource(o).createOr(NonDeletingOperation::update);
            }
            if (deployment(o)) {
                readyPods((GenericKubernetesResource) o);
            }
        }
    }

    /** The pods the operator makes for a deployment named N: inf-N-cache-0 and minReplicas of inf-N-q-group-n-i. */
    @SuppressWarnings("unchecked")
    void readyPods(GenericKubernetesResource d) {
        String name = d.getMetadata().getName();
        readyPod("inf-" + name + "-cache");
        Map<String, Object> spec = (Map<String, Object>) d.getAdditionalProperties().get("spec");
        for (Map<String, Object> group : (List<Map<String, Object>>) spec.getOrDefault("groups", List.of())) {
            int replicas = ((Number) group.getOrDefault("minReplicas", 1)).intValue();
            for (int i = 0; i < replicas; i++) {
                readyPod("inf-" + name + "-q-" + group.get("name") + "-n", i);
            }
        }
    }

    void readyPod(String statefulSet) {
        readyPod(statefulSet, 0);
    }

    void readyPod(String statefulSet, int i) {
        var pod = new PodBuilder().withNewMetadata().withName(statefulSet + "-" + i).withNamespace(NS)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("StatefulSet").withName(statefulSet)
                .withUid("uid-" + statefulSet).withController(true).endOwnerReference().endMetadata()
                .withNewSpec().addNewContainer().withName("inf").withImage("inf:1").endContainer().endSpec()
                .withNewStatus().withPhase("Running")
                .withContainerStatuses(new ContainerStatusBuilder().withName("inf").withReady(true).build())
                .endStatus().build();
        client().resource(pod).createOr(NonDeletingOperation::update);
    }

    static JsonPath models(String path) {
        return given().auth().oauth2(ALICE).when().get(path).then().statusCode(200).extract().jsonPath();
    }

    @Test
    void everySampleDeploymentIsListedReadyWithTheModelsItsSamplesDeclare() throws IOException {
        assertThat("sample deployments (add new ones to EXPECTED)", samples().stream().map(Sample::object)
                .filter(SamplesTest::deployment).map(o -> o.getMetadata().getName()).toList(),
                containsInAnyOrder(EXPECTED.keySet().toArray()));
        assertThat("both generations are sampled", samples().stream().map(Sample::object)
                .filter(SamplesTest::sambaStack).map(HasMetadata::getKind).toList(),
                hasItems("Bundle", "BundleDeployment", "Model", "ModelProfile", "ModelBundle", "ModelDeployment"));

        Map<String, String> expected = new TreeMap<>();
        EXPECTED.forEach((d, models) -> models.keySet().forEach(m -> expected.put(m, d)));
        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath all = models("/v1/models");
            Map<String, String> listed = new TreeMap<>();
            for (Map<String, Object> m : all.<Map<String, Object>> getList("models")) {
                listed.put((String) m.get("name"), m.get("deployment") + " " + m.get("state") + " " + m.get("reason"));
            }
            Map<String, String> ready = new TreeMap<>();
            expected.forEach((m, d) -> ready.put(m, d + " Ready null"));
            assertThat(listed, equalTo(ready));
        });
        JsonPath running = models("/v1/models/running");
        EXPECTED.values().forEach(models -> models.forEach((name, len) -> assertThat(name,
                running.<Integer> get("models.find { it.name == '" + name + "' }.max_model_len"), equalTo(len))));
        assertThat(running.<List<String>> get("models.find { it.name == 'Meta-Llama-3.3-70B-Instruct' }.aliases"),
                equalTo(List.of("llama-3.3-70b")));
    }

    /** {@code <group>/<resource>} of a collection request ({@code /api/v1/namespaces/ns/pods?watch=true}). */
    static Optional<String> collection(RecordedRequest request) {
        String path = request.getPath().split("\\?", 2)[0];
        String[] p = path.replaceFirst("^/", "").split("/");
        int base = p[0].equals("api") ? 2 : p[0].equals("apis") ? 3 : -1;
        if (base < 0 || p.length <= base) {
            return Optional.empty();
        }
        String group = p[0].equals("api") ? "" : p[1];
        int resource = p[base].equals("namespaces") ? base + 2 : base;
        return p.length == resource + 1 ? Optional.of(group + "/" + p[resource]) : Optional.empty();
    }

    @Test
    void theSampleRoleGrantsGetListWatchOnExactlyWhatTheRegistryWatches() throws Exception {
        await().atMost(WAIT).untilAsserted(() -> given().when().get("/q/health/ready").then().statusCode(200));
        Set<String> watched = new TreeSet<>();
        RecordedRequest r;
        while ((r = server.getKubernetesMockServer().takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            if ("GET".equals(r.getMethod())) {
                collection(r).ifPresent(watched::add);
            }
        }
        assertThat("what the registry listed and watched", watched,
                hasItems("/pods", "sambanova.ai/bundles", "sambanova.ai/modeldeployments"));

        Role role = samples().stream().map(Sample::object).filter(Role.class::isInstance).map(Role.class::cast)
                .filter(x -> x.getMetadata().getName().equals("parley-model-registry")).findFirst().orElseThrow();
        assertThat(role.getMetadata().getNamespace(), equalTo(NS));
        Set<String> granted = new TreeSet<>();
        for (PolicyRule rule : role.getRules()) {
            assertThat("verbs of " + rule.getResources(), rule.getVerbs(), containsInAnyOrder("get", "list", "watch"));
            assertThat("resourceNames of " + rule.getResources(), rule.getResourceNames(), anyOf(nullValue(), empty()));
            for (String group : rule.getApiGroups()) {
                rule.getResources().forEach(res -> granted.add(group + "/" + res));
            }
        }
        assertThat("k8s/samples/model-registry-rbac.yaml grants exactly what the registry watches", granted,
                equalTo(watched));
    }
}
