package io.parley.registry.kubernetes;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ServiceListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.parley.registry.crd.Bundle;
import io.parley.registry.crd.BundleDeployment;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * The API server refuses to list pods (as it does when the registry's RBAC lacks them): the pod informer never syncs,
 * so readiness stays DOWN and names the informer that has not synced, while the informers that did sync and liveness
 * are fine.
 */
@QuarkusTest
@TestProfile(NotSyncedProfile.class)
@WithKubernetesTestServer(crud = false, setup = ReadinessBeforeSyncTest.Setup.class)
class ReadinessBeforeSyncTest {

    static final String NS = "team-q";
    static final String WATCH = "allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=600&watch=true";

    public static class Setup implements Consumer<KubernetesServer> {
        @Override
        public void accept(KubernetesServer server) {
            String bds = "/apis/sambanova.ai/v1alpha1/namespaces/" + NS + "/bundledeployments";
            String bundles = "/apis/sambanova.ai/v1alpha1/namespaces/" + NS + "/bundles";
            String pods = "/api/v1/namespaces/" + NS + "/pods";
            String services = "/api/v1/namespaces/" + NS + "/services";
            server.expect().get().withPath(bds + "?resourceVersion=0")
                    .andReturn(200, WatchGoneTest.<BundleDeployment> emptyList()).always();
            server.expect().get().withPath(bundles + "?resourceVersion=0")
                    .andReturn(200, WatchGoneTest.<Bundle> emptyList()).always();
            server.expect().get().withPath(services + "?resourceVersion=0")
                    .andReturn(200, new ServiceListBuilder().withNewMetadata().withResourceVersion("1").endMetadata()
                            .build())
                    .always();
            for (String path : List.of(bds, bundles, services)) {
                server.expect().get().withPath(path + "?" + String.format(WATCH, "1"))
                        .andUpgradeToWebSocket().open().done().always();
            }
            server.expect().get().withPath(pods + "?resourceVersion=0")
                    .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden")
                            .withMessage("pods is forbidden: User \"system:serviceaccount:parley:parley-registry\""
                                    + " cannot list resource \"pods\" in the namespace \"" + NS + "\"")
                            .build())
                    .always();
        }
    }

    @Test
    void readinessStaysDownAndNamesTheInformerThatHasNotSynced() {
        // the other informers sync within moments; the pod informer never does, however long we look
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().when().get("/q/health/ready").then()
                .statusCode(503)
                .body("checks.find { it.name == 'model-sources' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'model-sources' }.data.kubernetes", containsString("pods in " + NS)));
        given().when().get("/q/health/live").then().statusCode(200);
    }
}
