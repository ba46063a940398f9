package io.parley.registry.kubernetes;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.parley.registry.crd.Bundle;
import io.parley.registry.crd.BundleDeployment;
import io.parley.registry.crd.BundleDeploymentSpec;
import io.parley.registry.crd.BundleSpec;
import io.parley.registry.support.FakeUpstreamResource;
import io.parley.registry.support.SseFollower;
import io.parley.testsupport.TestTokens;
import io.quarkus.logging.Log;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.ValidatableResponse;

@QuarkusTest
@TestProfile(KubernetesProfile.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(FakeUpstreamResource.class)
class KubernetesSourceTest {

    static final String ALICE = TestTokens.user("alice", "user");
    /** The view with upstream URLs (RegistryTrustSecurityTest: what a user sees). */
    static final String ADMIN = TestTokens.user("admin", "user", "admin");
    static final Duration WAIT = Duration.ofSeconds(15);

    @KubernetesTestServer
    KubernetesServer server;

    @TestHTTPResource("/v1/models/changes")
    URI changes;

    KubernetesClient client() {
        return server.getClient();
    }

    static ValidatableResponse get(String path) {
        return given().auth().oauth2(ADMIN).when().get(path).then().statusCode(200);
    }

    static String model(String name, String field) {
        return "models.find { it.name == '" + name + "' }." + field;
    }

    // --- fixtures

    /** Create, or replace at the current resource version. */
    <T extends HasMetadata> T apply(T resource) {
        T existing = client().resource(resource).get();
        if (existing == null) {
            return client().resource(resource).create();
        }
        resource.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        return client().resource(resource).update();
    }

    Bundle bundle(String ns, String name, String... models) {
        Bundle b = new Bundle();
        b.getMetadata().setName(name);
        b.getMetadata().setNamespace(ns);
        BundleSpec spec = new BundleSpec();
        spec.setTemplate("tpl");
        Map<String, BundleSpec.BundleModel> map = new LinkedHashMap<>();
        for (String m : models) {
            map.put(m, new BundleSpec.BundleModel("ckpt-" + m, "tpl"));
        }
        spec.setModels(map);
        b.setSpec(spec);
        return apply(b);
    }

    BundleDeployment deployment(String ns, String name, String bundle, String endpoint) {
        BundleDeployment d = new BundleDeployment();
        d.getMetadata().setName(name);
        d.getMetadata().setNamespace(ns);
        if (endpoint != null) {
            d.getMetadata().setAnnotations(Map.of("parley.io/endpoint", endpoint));
        }
        BundleDeploymentSpec spec = new BundleDeploymentSpec();
        spec.setBundle(bundle);
        spec.setGroups(List.of(new BundleDeploymentSpec.Group("default", 1)));
        d.setSpec(spec);
        return apply(d);
    }

    Pod pod(String ns, String name, boolean ready, Map<String, String> labels, String ownerDeployment) {
        var builder = new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(labels);
        if (ownerDeployment != null) {
            builder = builder.addNewOwnerReference().withApiVersion("sambanova.ai/v1alpha1")
                    .withKind("BundleDeployment").withName(ownerDeployment).withUid("uid-" + ownerDeployment)
                    .endOwnerReference();
        }
        Pod pod = builder.endMetadata()
                .withNewSpec().addNewContainer().withName("engine").withImage("engine:1").endContainer().endSpec()
                .withNewStatus().withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False")
                        .withReason(ready ? null : "ContainersNotReady").build())
                .withContainerStatuses(new ContainerStatusBuilder().withName("engine").withReady(ready).build())
                .endStatus()
                .build();
        return apply(pod);
    }

    Pod pod(String ns, String name, boolean ready) {
        return pod(ns, name, ready, Map.of(), null);
    }

    // --- scenarios

    @Test
    void modelRunsOnceItsPodsAreReadyAndLeavesWithThePodNamedWhenOneTurnsNotReady() {
        UPSTREAM.serve("alpha-7b", 4096);
        bundle("team-a", "b1", "alpha-7b");
        deployment("team-a", "d1", "b1", UPSTREAM.url());
        pod("team-a", "d1-cache-0", true);
        pod("team-a", "d1-default-0", false);

        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("alpha-7b", "state"), equalTo("Pending"))
                .body(model("alpha-7b", "reason"), startsWith("pod d1-default-0 not ready: ContainersNotReady")));
        get("/v1/models/running").body("models.name", not(hasItem("alpha-7b")));

        pod("team-a", "d1-default-0", true);
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running")
                .body(model("alpha-7b", "state"), equalTo("Ready"))
                .body(model("alpha-7b", "namespace"), equalTo("team-a"))
                .body(model("alpha-7b", "deployment"), equalTo("d1"))
                .body(model("alpha-7b", "source"), equalTo("kubernetes"))
                .body(model("alpha-7b", "max_model_len"), equalTo(4096)));

        pod("team-a", "d1-cache-0", false);
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("alpha-7b", "state"), equalTo("Pending"))
                .body(model("alpha-7b", "reason"), startsWith("pod d1-cache-0 not ready: ContainersNotReady")));
        get("/v1/models/running").body("models.name", not(hasItem("alpha-7b")));
    }

    @Test
    void missingBundleIsTheReasonUntilItAppears() {
        deployment("team-a", "d2", "b-missing", UPSTREAM.url());
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("d2", "state"), equalTo("NotFound"))
                .body(model("d2", "reason"), equalTo("bundle b-missing not found")));
        get("/v1/deployments/d2").body("reason", equalTo("bundle b-missing not found"));

        bundle("team-a", "b-missing", "late-model");
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body("models.name", not(hasItem("d2")))
                .body(model("late-model", "state"), equalTo("Pending"))
                .body(model("late-model", "reason"), startsWith("no pods found for deployment d2")));
    }

    @Test
    void modelAddedToTheBundleAppearsAndDeletedDeploymentDisappears() {
        UPSTREAM.serve("gamma-1", 2048);
        UPSTREAM.serve("gamma-2", 2048);
        bundle("team-a", "b3", "gamma-1");
        deployment("team-a", "d3", "b3", UPSTREAM.url());
        pod("team-a", "d3-default-0", true);
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running").body("models.name", hasItem("gamma-1")));

        bundle("team-a", "b3", "gamma-1", "gamma-2");
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running").body("models.name", hasItem("gamma-2")));

        client().resources(BundleDeployment.class).inNamespace("team-a").withName("d3").delete();
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body("models.name", not(hasItem("gamma-1")))
                .body("models.name", not(hasItem("gamma-2"))));
        given().auth().oauth2(ALICE).when().get("/v1/deployments/d3").then().statusCode(404)
                .body("error.code", equalTo("deployment_not_found"));
    }

    @Test
    void podsAreMatchedByLabelOwnerReferenceAndNamePrefix() {
        bundle("team-a", "b4", "delta");
        deployment("team-a", "d4", "b4", null);
        pod("team-a", "labelled-pod", true, Map.of("sambanova.ai/bundle-deployment", "d4",
                "sambanova.ai/group", "default"), null);
        pod("team-a", "owned-pod", true, Map.of(), "d4");
        pod("team-a", "d4-cache-0", true);
        pod("team-a", "unrelated-0", true);

        await().atMost(WAIT).untilAsserted(() -> get("/v1/deployments/d4?namespace=team-a")
                .body("pods.size()", equalTo(3))
                .body("pods.find { it.name == 'labelled-pod' }.matched_by", equalTo("label"))
                .body("pods.find { it.name == 'labelled-pod' }.group", equalTo("default"))
                .body("pods.find { it.name == 'owned-pod' }.matched_by", equalTo("owner-reference"))
                .body("pods.find { it.name == 'd4-cache-0' }.matched_by", equalTo("name-prefix"))
                .body("pods.find { it.name == 'd4-cache-0' }.group", equalTo("cache"))
                .body("groups[0].name", equalTo("default"))
                .body("groups[0].ready_pods", equalTo(1))
                .body("served", equalTo(true))
                .body("endpoints.size()", equalTo(0)));
        get("/v1/models").body(model("delta", "state"), equalTo("Pending"))
                .body(model("delta", "reason"), equalTo("no endpoint resolved for deployment d4"));
    }

    @Test
    void endpointComesFromTheSameNamedServiceOrTheNamespaceGateway() {
        bundle("team-a", "b5", "eps");
        deployment("team-a", "d5", "b5", null);
        client().resource(new ServiceBuilder().withNewMetadata().withName("d5").withNamespace("team-a").endMetadata()
                .withNewSpec().addNewPort().withName("metrics").withPort(9090).endPort()
                .addNewPort().withName("http").withPort(8000).endPort().endSpec().build()).create();
        bundle("team-b", "b5", "eps-b");
        deployment("team-b", "d5", "b5", null);

        await().atMost(WAIT).untilAsserted(() -> {
            get("/v1/deployments/d5?namespace=team-a")
                    .body("endpoint_resolved_by", equalTo("service"))
                    .body("endpoints[0].url", equalTo("http://d5.team-a.svc:8000"));
            get("/v1/deployments/d5?namespace=team-b")
                    .body("endpoint_resolved_by", equalTo("gateway"))
                    .body("endpoints[0].url", equalTo("http://gateway.team-b.example:8080"));
        });
    }

    @Test
    void unwatchedNamespaceIsIgnoredAndStaticModelsAreListedAlongside() {
        bundle("team-c", "b6", "hidden-model");
        deployment("team-c", "d6", "b6", UPSTREAM.url());
        bundle("team-b", "b7", "visible-model");
        deployment("team-b", "d7", "b7", UPSTREAM.url());
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("visible-model", "namespace"), equalTo("team-b"))
                .body(model("llama-3.1-8b-sim", "source"), equalTo("static"))
                .body("models.name", not(hasItem("hidden-model"))));
    }

    @Test
    void failingUpstreamMakesAServedDeploymentUnhealthyWithTheProbeError() {
        UPSTREAM.serve("omega", 1024);
        bundle("team-a", "b8", "omega");
        deployment("team-a", "d8", "b8", "http://127.0.0.1:1");
        pod("team-a", "d8-default-0", true);
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("omega", "state"), equalTo("Unhealthy"))
                .body(model("omega", "reason"),
                        org.hamcrest.Matchers.matchesPattern("health probe failed \\d+x: connection refused")));
    }

    @Test
    void podTurningReadyReachesTheChangeStreamAndRunningList() {
        UPSTREAM.serve("speedy", 1024);
        bundle("team-a", "b9", "speedy");
        deployment("team-a", "d9", "b9", UPSTREAM.url());
        pod("team-a", "d9-default-0", false);
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models").body(model("speedy", "state"), equalTo("Pending")));
        // the endpoint is known healthy already (another deployment on the same upstream), so only the pod matters
        UPSTREAM.serve("speedy", 1024);
        try (var follower = new SseFollower(changes, ALICE)) {
            await().atMost(WAIT).until(() -> !follower.events().isEmpty());
            long start = System.nanoTime();
            pod("team-a", "d9-default-0", true);
            await().atMost(WAIT).until(() -> follower.events().stream()
                    .anyMatch(e -> "Ready".equals(SseFollower.stateOf(e.data(), "speedy"))));
            long toEvent = follower.events().stream()
                    .filter(e -> "Ready".equals(SseFollower.stateOf(e.data(), "speedy")))
                    .findFirst().orElseThrow().nanos() - start;
            get("/v1/models/running").body("models.name", hasItem("speedy"));
            long toRunning = System.nanoTime() - start;
            // a measurement for the README, not an assertion (the test machine's load varies)
            Log.infof("BENCH pod ready -> change-stream event %.1f ms, -> /v1/models/running %.1f ms",
                    toEvent / 1e6, toRunning / 1e6);
        }
    }

    @Test
    void sampleResourcesYieldTheirModels() throws Exception {
        // typed loading also proves the samples match the CR classes
        Bundle bundle = client().resources(Bundle.class).load(new java.io.File("../k8s/samples/bundle.yaml")).item();
        BundleDeployment deployment = client().resources(BundleDeployment.class)
                .load(new java.io.File("../k8s/samples/bundledeployment.yaml")).item();
        client().resource(bundle).create();
        client().resource(deployment).create();
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("Meta-Llama-3.1-8B-Instruct", "deployment"), equalTo("llama-prod"))
                .body(model("Meta-Llama-3.1-70B-Instruct", "state"), equalTo("Pending"))
                .body(model("Meta-Llama-3.1-70B-Instruct", "reason"), startsWith("no pods found for deployment llama-prod"))
                .body(model("Meta-Llama-3.1-70B-Instruct", "endpoints[0].url"),
                        equalTo("http://llama-prod.team-a.svc:8080")));
    }

    @Test
    void readinessIsUpOnceEveryInformerSynced() {
        await().atMost(WAIT).untilAsserted(() -> given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'model-sources' }.data.kubernetes", equalTo("ready"))
                .body("checks.find { it.name == 'model-sources' }.data.static", equalTo("ready")));
    }
}
