package io.parley.registry.bench;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.parley.registry.crd.Bundle;
import io.parley.registry.crd.BundleDeployment;
import io.parley.registry.crd.BundleDeploymentSpec;
import io.parley.registry.crd.BundleSpec;
import io.parley.registry.support.CutClusterResource;
import io.parley.registry.support.FakeUpstream;
import io.parley.registry.support.SseFollower;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Not a test of behaviour but a measurement, run on demand (with {@link ScaleBenchmarkTest}):
 * {@code mvn -B -o -pl test-support,model-registry-service test -Dbenchmark=true -Dtest=ChangeStreamBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}. The registry watches the fabric8 mock API server (CRUD mode, loopback)
 * holding 200 BundleDeployments with operator-named pods, 5 each (the cache pod and 4 serving pods of group
 * {@code default}, {@code minReplicas: 4}): 1,000 pods. A serving pod's readiness is turned off and on again, one
 * deployment at a time; for each change the time from the API server's answer to the status update until
 * {@code /v1/models/running} reflects it (polled), and the bytes of the change-stream event it caused, next to the
 * bytes of a whole-list event (the {@code snapshot}, what every change cost before the stream carried deltas).
 */
@QuarkusTest
@TestProfile(ChangeStreamBenchmarkTest.Profile.class)
@QuarkusTestResource(value = CutClusterResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = ChangeStreamBenchmarkTest.Gateway.class, restrictToAnnotatedClass = true)
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class ChangeStreamBenchmarkTest {

    static final String NS = "bench";
    static final int DEPLOYMENTS = 200;
    static final int SERVING_PODS = 4;
    static final int CHANGES = 60;
    static final String ALICE = TestTokens.user("alice", "user");

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("parley.registry.source", "kubernetes",
                    "parley.registry.kubernetes.namespaces", NS);
        }
    }

    /** The namespace's gateway: answers the health probe listing every model of the benchmark. */
    public static class Gateway implements QuarkusTestResourceLifecycleManager {
        static final FakeUpstream UPSTREAM = new FakeUpstream();

        @Override
        public Map<String, String> start() {
            try {
                UPSTREAM.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            for (int d = 0; d < DEPLOYMENTS; d++) {
                UPSTREAM.serve(model(d), 8192);
            }
            return Map.of("parley.registry.kubernetes.endpoints.gateways." + NS, UPSTREAM.url());
        }

        @Override
        public void stop() {
            UPSTREAM.stop();
        }
    }

    @TestHTTPResource("/v1/models/changes")
    URI changes;

    static String deployment(int d) {
        return "bench-deployment-" + d;
    }

    static String model(int d) {
        return "bench-model-" + d;
    }

    @Test
    void podReadinessChangeReachesRunningAndCostsOneEntry() {
        var client = CutClusterResource.direct;
        for (int d = 0; d < DEPLOYMENTS; d++) {
            Bundle b = new Bundle();
            b.getMetadata().setName("b-" + d);
            b.getMetadata().setNamespace(NS);
            BundleSpec bs = new BundleSpec();
            bs.setModels(Map.of(model(d), new BundleSpec.BundleModel("ckpt", "tpl")));
            b.setSpec(bs);
            client.resource(b).create();
            BundleDeployment bd = new BundleDeployment();
            bd.getMetadata().setName(deployment(d));
            bd.getMetadata().setNamespace(NS);
            BundleDeploymentSpec ds = new BundleDeploymentSpec();
            ds.setBundle("b-" + d);
            ds.setGroups(List.of(new BundleDeploymentSpec.Group("default", SERVING_PODS)));
            bd.setSpec(ds);
            client.resource(bd).create();
            client.resource(pod("inf-" + deployment(d) + "-cache-0", true)).create();
            for (int i = 0; i < SERVING_PODS; i++) {
                client.resource(pod(servingPod(d, i), true)).create();
            }
        }
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertEquals(DEPLOYMENTS, running().size()));

        List<Double> latenciesMs = new ArrayList<>();
        List<Integer> deltaBytes = new ArrayList<>();
        int snapshotBytes;
        try (SseFollower follower = new SseFollower(changes, ALICE)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> !follower.events("snapshot").isEmpty());
            snapshotBytes = follower.events("snapshot").get(0).bytes();
            for (int c = 0; c < CHANGES; c++) {
                int d = (c / 2 * 7) % DEPLOYMENTS; // a different deployment for every off/on pair
                boolean ready = c % 2 == 1;
                int eventsBefore = follower.events("delta").size();
                Pod p = pod(servingPod(d, 0), ready);
                client.resource(p).update();
                long start = System.nanoTime();
                String name = model(d);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                        .until(() -> running().contains(name) == ready);
                latenciesMs.add((System.nanoTime() - start) / 1e6);
                await().atMost(Duration.ofSeconds(30)).until(() -> follower.events("delta").size() > eventsBefore);
                follower.events("delta").subList(eventsBefore, follower.events("delta").size())
                        .forEach(e -> deltaBytes.add(e.bytes()));
            }
            assertEquals(0, follower.gaps());
        }
        Collections.sort(latenciesMs);
        double p50 = latenciesMs.get((int) Math.ceil(0.50 * latenciesMs.size()) - 1);
        double p99 = latenciesMs.get((int) Math.ceil(0.99 * latenciesMs.size()) - 1);
        double meanDelta = deltaBytes.stream().mapToInt(Integer::intValue).average().orElseThrow();
        int maxDelta = deltaBytes.stream().mapToInt(Integer::intValue).max().orElseThrow();
        System.out.printf("BENCH %d deployments, %d pods, %d readiness changes: pod change -> /v1/models/running "
                + "p50 %.1f ms, p99 %.1f ms, max %.1f ms; change stream: %d delta event(s), mean %.0f B, max %d B per "
                + "event; whole-list event %d B (%.0fx)%n", DEPLOYMENTS, DEPLOYMENTS * (SERVING_PODS + 1), CHANGES,
                p50, p99, latenciesMs.get(latenciesMs.size() - 1), deltaBytes.size(), meanDelta, maxDelta,
                snapshotBytes, snapshotBytes / meanDelta);
        assertTrue(p99 < 1000, "p99 " + p99 + " ms");
    }

    static String servingPod(int d, int i) {
        return "inf-" + deployment(d) + "-q-default-n-" + i;
    }

    static List<String> running() {
        return given().auth().oauth2(ALICE).get("/v1/models/running").then().statusCode(200).extract().jsonPath()
                .getList("models.name");
    }

    static Pod pod(String name, boolean ready) {
        String status = ready ? "True" : "False";
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewStatus().withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(status).build(),
                        new PodConditionBuilder().withType("ContainersReady").withStatus(status).build())
                .withContainerStatuses(new ContainerStatusBuilder().withName("inf").withReady(ready).build())
                .endStatus().build();
    }
}
