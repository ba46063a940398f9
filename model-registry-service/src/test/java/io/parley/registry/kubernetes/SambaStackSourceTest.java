package io.parley.registry.kubernetes;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.parley.registry.support.FakeUpstreamResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.ValidatableResponse;

/**
 * Both SambaStack generations as clusters hold them, against the mock API server (CRUD mode): objects shaped after
 * SambaNova's public sambanova/sambastack-tools code ({@code sambawiz/app/types/bundle.ts},
 * {@code sambawiz/app/utils/__tests__/v3-mock-data.ts}, the ModelDeployment YAML of
 * {@code sambawiz/app/components/ModelDeploymentManager.tsx}) and pods named the way the inference operator names
 * them ({@code sambawiz/app/utils/inference-pod-names.ts}): no Parley labels, owned by StatefulSets.
 */
@QuarkusTest
@TestProfile(SambaStackProfile.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(FakeUpstreamResource.class)
class SambaStackSourceTest {

    static final String NS = "ss-a";
    static final String ALICE = TestTokens.user("alice", "user");
    static final Duration WAIT = Duration.ofSeconds(20);

    @KubernetesTestServer
    KubernetesServer server;

    KubernetesClient client() {
        return server.getClient();
    }

    static ValidatableResponse get(String path) {
        return given().auth().oauth2(ALICE).when().get(path).then().statusCode(200);
    }

    static String model(String name, String field) {
        return "models.find { it.name == '" + name + "' }." + field;
    }

    static String plural(String kind) {
        return switch (kind) {
            case "Model" -> "models";
            case "ModelProfile" -> "modelprofiles";
            case "ModelBundle" -> "modelbundles";
            case "ModelDeployment" -> "modeldeployments";
            case "Bundle" -> "bundles";
            case "BundleDeployment" -> "bundledeployments";
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** Creates (or replaces) a SambaStack object given as JSON; the kind decides its resource. */
    void apply(String json) {
        GenericKubernetesResource r = client().getKubernetesSerialization().unmarshal(json,
                GenericKubernetesResource.class);
        r.getMetadata().setNamespace(NS);
        var ctx = new ResourceDefinitionContext.Builder().withGroup("sambanova.ai").withVersion("v1alpha1")
                .withKind(r.getKind()).withPlural(plural(r.getKind())).withNamespaced(true).build();
        var op = client().genericKubernetesResources(ctx).inNamespace(NS);
        GenericKubernetesResource existing = op.withName(r.getMetadata().getName()).get();
        if (existing == null) {
            op.resource(r).create();
        } else {
            r.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            op.resource(r).update();
        }
    }

    /** A pod as the operator makes it: owned by its StatefulSet, no Parley labels. */
    Pod pod(String name, String statefulSet, String phase, boolean ready, String reason) {
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .withLabels(Map.of("app", "inference"))
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("StatefulSet").withName(statefulSet)
                .withUid("uid-" + statefulSet).withController(true).endOwnerReference()
                .endMetadata()
                .withNewSpec().addNewContainer().withName("inf").withImage("inf:1").endContainer().endSpec()
                .withNewStatus().withPhase(phase).withReason(reason)
                .withContainerStatuses(new ContainerStatusBuilder().withName("inf").withReady(ready).build())
                .endStatus().build();
        Pod existing = client().resource(pod).get();
        if (existing == null) {
            return client().resource(pod).create();
        }
        pod.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        return client().resource(pod).update();
    }

    Pod readyPod(String name) {
        return pod(name, name.substring(0, name.lastIndexOf('-')), "Running", true, null);
    }

    static String modelCr(String name, String servingName, String capabilities, String category, String aliases) {
        return """
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"Model","metadata":{"name":"%s"},
                 "spec":{"name":"%s","aliases":[%s],
                   "checkpoints":{"arch":{"versions":{"1":{"checkpoint_status":"stable","source":"gs://c/%s"}}}},
                   "metadata":{"capabilities":[%s],"category":"%s","provider":"Meta"}}}
                """.formatted(name, servingName, aliases, name, capabilities, category);
    }

    static String deploymentCr(String kind, String name, String bundleOrModels, String groups) {
        return """
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"%s",
                 "metadata":{"name":"%s","annotations":{"parley.io/endpoint":"%s"}},
                 "spec":{%s,"groups":%s,"owner":"no-reply@sambanova.ai",
                   "secretNames":["sambanova-artifact-reader"],"engineConfig":{"startupTimeout":7200}}}
                """.formatted(kind, name, UPSTREAM.url(), bundleOrModels, groups);
    }

    static final String DEFAULT_GROUP = "[{\"name\":\"default\",\"minReplicas\":1,\"qosList\":[\"free\"]}]";

    @Test
    void modelDeploymentWithHashedOperatorPodNamesServesTheModelsServingNameWithItsTraits() {
        UPSTREAM.serve("Llama-4-Maverick-17B-128E-Instruct", null);
        apply(modelCr("llama-4-maverick-17b-128e-instruct", "Llama-4-Maverick-17B-128E-Instruct", "\"text\",\"vision\"",
                "chat", "\"llama-4-maverick\""));
        apply(modelCr("meta-llama-3-2-1b-instruct", "Meta-Llama-3.2-1B-Instruct", "\"text\"", "chat", ""));
        apply("""
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"ModelProfile","metadata":{"name":"maverick-hi"},
                 "spec":{"model_arch":"arch","features":[],
                   "defaultBatchingConfig":{"8k":{"batch_sizes":[1,4]},"128k":{"batch_sizes":[1]}},
                   "pefs":["maverick-ss131072-bs4-1:1"]}}
                """);
        apply("""
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"ModelBundle","metadata":{"name":"b-maverick"},
                 "spec":{"modelConfigs":[
                   {"model":"meta-llama-3-2-1b-instruct:1","profile":"draft","modelSettings":{"routable":false}},
                   {"model":"llama-4-maverick-17b-128e-instruct:arch:1","profile":"maverick-hi"}],
                  "specDecodingPairs":[{"draft":"meta-llama-3-2-1b-instruct",
                                        "target":"llama-4-maverick-17b-128e-instruct"}]},
                 "status":{"conditions":[{"type":"Valid","status":"True","reason":"Legalized",
                                          "message":"Bundle legalized successfully"}],
                           "legalizerInfo":{"status":"Success","errors":[],"warnings":[],
                                            "utilization":{"ddr":0.42,"hbm_resident":0.61,"host":0.15}}}}
                """);
        String name = "bd-llama-4-maverick-17b-128e-instruct-alcf";
        apply(deploymentCr("ModelDeployment", name, "\"bundle\":\"b-maverick\"", DEFAULT_GROUP));
        readyPod("inf-bd-llama-4-maverick-17b-128e-instruct-alcf-cache-0");
        pod("inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n-0",
                "inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n", "Running", false, null);
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("Llama-4-Maverick-17B-128E-Instruct", "state"), equalTo("Pending"))
                .body(model("Llama-4-Maverick-17B-128E-Instruct", "reason"), startsWith(
                        "pod inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n-0 not ready: containers not ready "
                                + "(starting for 0 min of the 120-min startup timeout)")));

        readyPod("inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n-0");
        String entry = "Llama-4-Maverick-17B-128E-Instruct";
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running")
                .body(model(entry, "id"), equalTo(NS + "/" + name + "/" + entry))
                .body(model(entry, "aliases"), equalTo(List.of("llama-4-maverick")))
                .body(model(entry, "capabilities"), equalTo(List.of("text", "vision")))
                .body(model(entry, "category"), equalTo("chat"))
                .body(model(entry, "task"), equalTo("chat"))
                .body(model(entry, "max_model_len"), equalTo(131072)));
        get("/v1/models").body("models.name", not(hasItem("Meta-Llama-3.2-1B-Instruct")))
                .body("models.name", not(hasItem("meta-llama-3-2-1b-instruct")));
        get("/v1/deployments/" + name)
                .body("kind", equalTo("ModelDeployment"))
                .body("notes", equalTo(List.of("model meta-llama-3-2-1b-instruct is not routable")))
                .body("pods.matched_by", equalTo(List.of("operator-name", "operator-name")))
                .body("pods.group", equalTo(List.of("default", "cache")));
    }

    @Test
    void legacyDeploymentAndInlineModelDeploymentFindTheirPodsByNameAndOwnerChain() {
        UPSTREAM.serve("Meta-Llama-3.1-8B-Instruct", 8192);
        UPSTREAM.serve("E5-Mistral-7B-Instruct", 4096);
        apply("""
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"Bundle","metadata":{"name":"b-legacy"},
                 "spec":{"template":"tpl","models":{"Meta-Llama-3.1-8B-Instruct":{"checkpoint":"LLAMA","template":"tpl"}},
                   "checkpoints":{"LLAMA":{"source":"gs://c/llama","toolSupport":true}}},
                 "status":{"conditions":[{"type":"Valid","status":"True","reason":"ValidationSucceeded","message":""}]}}
                """);
        apply(deploymentCr("BundleDeployment", "bd-legacy", "\"bundle\":\"b-legacy\"", DEFAULT_GROUP));
        readyPod("inf-bd-legacy-cache-0");
        // a pod whose name does not follow the rule is still found through its owner StatefulSet
        pod("renamed-replica-0", "inf-bd-legacy-q-default-n", "Running", true, null);

        apply(modelCr("e5-mistral-7b-instruct", "E5-Mistral-7B-Instruct", "\"embeddings\"", "embedding", ""));
        apply(deploymentCr("ModelDeployment", "md-e5",
                "\"models\":{\"modelConfigs\":[{\"model\":\"e5-mistral-7b-instruct:1\",\"profile\":\"e5\"}]}",
                DEFAULT_GROUP));
        readyPod("inf-md-e5-cache-0");
        readyPod("inf-md-e5-q-default-n-0");

        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running")
                .body(model("Meta-Llama-3.1-8B-Instruct", "deployment"), equalTo("bd-legacy"))
                .body(model("E5-Mistral-7B-Instruct", "deployment"), equalTo("md-e5"))
                .body(model("E5-Mistral-7B-Instruct", "task"), equalTo("embedding"))
                .body(model("E5-Mistral-7B-Instruct", "capabilities"), equalTo(List.of("embeddings"))));
        get("/v1/deployments/bd-legacy")
                .body("pods.find { it.name == 'renamed-replica-0' }.matched_by", equalTo("owner-statefulset"))
                .body("pods.find { it.name == 'renamed-replica-0' }.group", equalTo("default"));
    }

    @Test
    void mistypedObjectsAreInvalidNamingTheFieldAndEverythingElseKeepsUpdating() {
        UPSTREAM.serve("Good-Model", 2048);
        apply(modelCr("good-model", "Good-Model", "\"text\"", "chat", ""));
        apply("""
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"ModelBundle","metadata":{"name":"b-good"},
                 "spec":{"modelConfigs":[{"model":"good-model:1","profile":"p"}]}}
                """);
        apply(deploymentCr("ModelDeployment", "md-groups-string", "\"bundle\":\"b-good\"", "\"x\""));
        apply(deploymentCr("BundleDeployment", "bd-min-two", "\"bundle\":\"b-good\"",
                "[{\"name\":\"default\",\"minReplicas\":\"two\"}]"));
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("md-groups-string", "state"), equalTo("Invalid"))
                .body(model("md-groups-string", "reason"),
                        equalTo("ModelDeployment md-groups-string: spec.groups: expected a list, got \"x\""))
                .body(model("bd-min-two", "state"), equalTo("Invalid"))
                .body(model("bd-min-two", "reason"), equalTo(
                        "BundleDeployment bd-min-two: spec.groups[0].minReplicas: expected an integer, got \"two\"")));

        // created after the bad ones: still seen, its bundle found, and it comes up
        apply(deploymentCr("ModelDeployment", "md-good", "\"bundle\":\"b-good\"", DEFAULT_GROUP));
        readyPod("inf-md-good-cache-0");
        readyPod("inf-md-good-q-default-n-0");
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running")
                .body(model("Good-Model", "deployment"), equalTo("md-good")));
        given().when().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void evictedLeftoverDoesNotBlockTheReadyReplacementAndMinReplicasCounts() {
        UPSTREAM.serve("Evict-Model", 2048);
        apply(modelCr("evict-model", "Evict-Model", "\"text\"", "chat", ""));
        apply("""
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"ModelBundle","metadata":{"name":"b-evict"},
                 "spec":{"modelConfigs":[{"model":"evict-model:1","profile":"p"}]}}
                """);
        apply(deploymentCr("ModelDeployment", "md-evict", "\"bundle\":\"b-evict\"",
                "[{\"name\":\"default\",\"minReplicas\":2}]"));
        readyPod("inf-md-evict-cache-0");
        pod("inf-md-evict-q-default-n-0", "inf-md-evict-q-default-n", "Failed", false, "Evicted");
        readyPod("inf-md-evict-q-default-n-1");
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("Evict-Model", "state"), equalTo("Pending"))
                .body(model("Evict-Model", "reason"), startsWith(
                        "group default has 1 of 2 ready pods; pod inf-md-evict-q-default-n-0 failed: Evicted")));
        readyPod("inf-md-evict-q-default-n-2");
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running")
                .body(model("Evict-Model", "deployment"), equalTo("md-evict")));
    }

    @Test
    void emptyBundleAndRejectedBundleSaySo() {
        apply("""
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"Bundle","metadata":{"name":"b-empty"},
                 "spec":{"template":"tpl","models":{}}}
                """);
        apply(deploymentCr("BundleDeployment", "bd-empty", "\"bundle\":\"b-empty\"", DEFAULT_GROUP));
        apply("""
                {"apiVersion":"sambanova.ai/v1alpha1","kind":"ModelBundle","metadata":{"name":"b-rejected"},
                 "spec":{"modelConfigs":[{"model":"x:1","profile":"p"}]},
                 "status":{"conditions":[{"type":"Valid","status":"False","reason":"LegalizationFailed",
                                          "message":"does not fit"}],
                           "legalizerInfo":{"status":"Failed","errors":["hbm_resident 1.4 > 1.0"],"warnings":[]}}}
                """);
        apply(deploymentCr("ModelDeployment", "md-rejected", "\"bundle\":\"b-rejected\"", DEFAULT_GROUP));
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body(model("bd-empty", "state"), equalTo("NotFound"))
                .body(model("bd-empty", "reason"), equalTo("bundle b-empty has no models"))
                .body(model("md-rejected", "state"), equalTo("Failed"))
                .body(model("md-rejected", "reason"), equalTo("bundle b-rejected is not valid: Valid=False "
                        + "(LegalizationFailed): does not fit; legalizer errors: hbm_resident 1.4 > 1.0")));
    }
}
