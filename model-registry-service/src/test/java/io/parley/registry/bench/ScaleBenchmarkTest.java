package io.parley.registry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.parley.registry.config.RegistryConfig;
import io.parley.registry.kubernetes.PodMatcher;
import io.parley.registry.kubernetes.ServingEvaluator;
import io.parley.registry.sambastack.Resources;

/**
 * Not a test of behaviour but a measurement, run on demand: {@code -Dbenchmark=true -Dtest=ScaleBenchmarkTest}. Heap
 * held by 1,000 BundleDeployments and 10,000 realistic pods (what the informer caches hold) and the time of one
 * rebuild of served-ness from them.
 */
@EnabledIfSystemProperty(named = "benchmark", matches = "true")
class ScaleBenchmarkTest {

    static final int DEPLOYMENTS = 1_000;
    static final int PODS_PER_DEPLOYMENT = 10;

    record Rules(List<String> podLabels, boolean ownerReference, boolean namePrefix, String groupLabel,
            String defaultGroup) implements RegistryConfig.Matching {
    }

    @Test
    void measureCacheHeapAndRebuildTime() {
        var rules = new Rules(List.of("sambanova.ai/bundle-deployment"), true, true, "sambanova.ai/group", "default");
        long before = usedHeap();
        List<Resources.Deployment> deployments = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        for (int d = 0; d < DEPLOYMENTS; d++) {
            String name = "deployment-" + d;
            deployments.add(new Resources.Deployment(
                    new Resources.Meta("BundleDeployment", "ns", name, Map.of(), java.util.Optional.empty()),
                    Resources.Generation.LEGACY, java.util.Optional.of("bundle-" + d), java.util.Optional.empty(),
                    List.of(new Resources.Group("default", 1)), java.util.Optional.empty(), List.of(), List.of()));
            for (int p = 0; p < PODS_PER_DEPLOYMENT; p++) {
                String podName = p == 0 ? name + "-cache-0" : name + "-default-" + (p - 1);
                pods.add(pod(podName, name));
            }
        }
        long held = usedHeap() - before;

        PodMatcher matcher = new PodMatcher(rules);
        ServingEvaluator evaluator = new ServingEvaluator(matcher, java.time.Duration.ofMinutes(45));
        int served = 0;
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long start = System.nanoTime();
            var matched = matcher.match(deployments, pods);
            served = 0;
            java.time.Instant now = java.time.Instant.now();
            for (Resources.Deployment d : deployments) {
                if (evaluator.evaluate(d, matched.get(PodMatcher.key(d)), now).serving().served()) {
                    served++;
                }
            }
            best = Math.min(best, System.nanoTime() - start);
        }
        assertEquals(DEPLOYMENTS, served);
        System.out.printf("BENCH %d deployments, %d pods: ~%.1f MB heap held, rebuild %.1f ms (best of 5)%n",
                DEPLOYMENTS, pods.size(), held / 1024.0 / 1024.0, best / 1e6);
    }

    static Pod pod(String name, String deployment) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("ns").withUid(java.util.UUID.randomUUID().toString())
                .withResourceVersion("12345")
                .withLabels(Map.of("sambanova.ai/bundle-deployment", deployment,
                        "app.kubernetes.io/name", "sambastack", "pod-template-hash", "7f9c8d6b5"))
                .withAnnotations(Map.of("kubectl.kubernetes.io/restartedAt", "2026-11-22T06:00:00Z"))
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("StatefulSet").withName(deployment)
                .withUid("owner").endOwnerReference()
                .endMetadata()
                .withNewSpec()
                .addNewContainer().withName("engine").withImage("registry.example/engine:1.2.3")
                .addNewPort().withContainerPort(8080).withName("http").endPort()
                .addNewEnv().withName("MODEL").withValue("m").endEnv()
                .endContainer()
                .addNewContainer().withName("sidecar").withImage("registry.example/sidecar:1.0").endContainer()
                .withNodeName("node-1").withServiceAccountName("default")
                .endSpec()
                .withNewStatus().withPhase("Running").withPodIP("10.0.0.1").withHostIP("10.1.0.1")
                .withConditions(
                        new PodConditionBuilder().withType("Ready").withStatus("True").build(),
                        new PodConditionBuilder().withType("ContainersReady").withStatus("True").build(),
                        new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                .withContainerStatuses(
                        new ContainerStatusBuilder().withName("engine").withReady(true).withRestartCount(0)
                                .withImage("registry.example/engine:1.2.3").withNewState().withNewRunning()
                                .withStartedAt("2026-11-22T06:00:00Z").endRunning().endState().build(),
                        new ContainerStatusBuilder().withName("sidecar").withReady(true).withRestartCount(0)
                                .withImage("registry.example/sidecar:1.0").build())
                .endStatus()
                .build();
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

}
