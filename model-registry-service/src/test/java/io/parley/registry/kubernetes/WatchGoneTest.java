package io.parley.registry.kubernetes;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.DefaultKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.ServiceListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.parley.registry.crd.Bundle;
import io.parley.registry.crd.BundleDeployment;
import io.parley.registry.crd.BundleDeploymentSpec;
import io.parley.registry.crd.BundleSpec;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * The pod watch is closed with 410 Gone (resource version too old); the informer re-lists by itself and the view
 * follows the new list without a restart.
 */
@QuarkusTest
@TestProfile(WatchGoneProfile.class)
@WithKubernetesTestServer(crud = false, setup = WatchGoneTest.Setup.class)
class WatchGoneTest {

    static final String NS = "team-z";
    static final String WATCH = "allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=600&watch=true";

    public static class Setup implements Consumer<KubernetesServer> {
        @Override
        public void accept(KubernetesServer server) {
            BundleDeployment bd = new BundleDeployment();
            bd.getMetadata().setName("z1");
            bd.getMetadata().setNamespace(NS);
            bd.getMetadata().setAnnotations(Map.of("parley.io/endpoint", "http://127.0.0.1:1"));
            var spec = new BundleDeploymentSpec();
            spec.setBundle("zb");
            spec.setGroups(List.of(new BundleDeploymentSpec.Group("default", 1)));
            bd.setSpec(spec);
            Bundle bundle = new Bundle();
            bundle.getMetadata().setName("zb");
            bundle.getMetadata().setNamespace(NS);
            var bspec = new BundleSpec();
            bspec.setModels(Map.of("zeta", new BundleSpec.BundleModel("c", "t")));
            bundle.setSpec(bspec);

            String bds = "/apis/sambanova.ai/v1alpha1/namespaces/" + NS + "/bundledeployments";
            String bundles = "/apis/sambanova.ai/v1alpha1/namespaces/" + NS + "/bundles";
            String pods = "/api/v1/namespaces/" + NS + "/pods";
            String services = "/api/v1/namespaces/" + NS + "/services";
            server.expect().get().withPath(bds + "?resourceVersion=0")
                    .andReturn(200, list(bd))
                    .always();
            server.expect().get().withPath(bundles + "?resourceVersion=0")
                    .andReturn(200, list(bundle))
                    .always();
            server.expect().get().withPath(services + "?resourceVersion=0")
                    .andReturn(200, new ServiceListBuilder().withNewMetadata().withResourceVersion("1").endMetadata()
                            .build())
                    .always();
            for (String path : List.of(bds, bundles, services)) {
                server.expect().get().withPath(path + "?" + String.format(WATCH, "1"))
                        .andUpgradeToWebSocket().open().done().always();
            }
            // pods: first list (not ready), its watch ends with 410 Gone, the re-list shows the pod ready
            server.expect().get().withPath(pods + "?resourceVersion=0")
                    .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("1").endMetadata()
                            .withItems(pod(false)).build())
                    .once();
            server.expect().get().withPath(pods + "?" + String.format(WATCH, "1"))
                    .andUpgradeToWebSocket().open()
                    .waitFor(1500)
                    .andEmit(new WatchEvent(new StatusBuilder().withCode(410).withReason("Expired")
                            .withMessage("too old resource version: 1 (2)").build(), "ERROR"))
                    .done().once();
            // after a 410 the reflector re-lists without a resource version
            server.expect().get().withPath(pods)
                    .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("2").endMetadata()
                            .withItems(pod(true)).build())
                    .always();
            server.expect().get().withPath(pods + "?" + String.format(WATCH, "2"))
                    .andUpgradeToWebSocket().open().done().always();
        }
    }

    static <T extends io.fabric8.kubernetes.api.model.HasMetadata> DefaultKubernetesResourceList<T> list(T item) {
        var list = new DefaultKubernetesResourceList<T>();
        list.setMetadata(new ListMetaBuilder().withResourceVersion("1").build());
        list.setItems(List.of(item));
        return list;
    }

    static <T extends io.fabric8.kubernetes.api.model.HasMetadata> DefaultKubernetesResourceList<T> emptyList() {
        var list = new DefaultKubernetesResourceList<T>();
        list.setMetadata(new ListMetaBuilder().withResourceVersion("1").build());
        list.setItems(List.of());
        return list;
    }

    static Pod pod(boolean ready) {
        return new PodBuilder().withNewMetadata().withName("z1-default-0").withNamespace(NS)
                .withResourceVersion(ready ? "2" : "1").endMetadata()
                .withNewStatus().withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False")
                        .withReason(ready ? null : "ContainersNotReady").build())
                .withContainerStatuses(new ContainerStatusBuilder().withName("engine").withReady(ready).build())
                .endStatus().build();
    }

    @Test
    void podWatchClosedWithGoneRecoversByRelisting() {
        // the first list has the pod not ready and no watch event ever changes it: a ready pod can only come from
        // the re-list that follows the 410
        String alice = TestTokens.user("alice", "user");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().auth().oauth2(alice)
                .when().get("/v1/deployments/z1").then().statusCode(200)
                .body("served", equalTo(true))
                .body("pods[0].ready", equalTo(true)));
        // the mock knows no current-generation kinds (it answers 404): reported, and readiness is not held back
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'model-sources' }.data.'kubernetes.notes'",
                        org.hamcrest.Matchers.containsString(
                                "modeldeployments.sambanova.ai in team-z: custom resource definition not installed"));
    }
}
