package io.parley.e2e.platform;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;

/**
 * The stand-in cluster as a registry sees it: through the kubeconfig it writes, the CRDs of {@code k8s/crds}, the
 * SambaStack objects of both generations, and the operator's StatefulSets and pods named and owned as SambaStack's
 * operator does, not ready until their delay has passed, seen changing through a watch.
 */
class StandInClusterTest {

    static final Path CRDS = Path.of(System.getProperty("parley.root", "..")).toAbsolutePath().normalize()
            .resolve("k8s/crds");
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    StandInCluster cluster;
    KubernetesClient client;

    @BeforeEach
    void start() throws Exception {
        Path kubeconfig = dir.resolve("kubeconfig");
        cluster = StandInCluster.start(0, CRDS, "team-x", null, kubeconfig);
        // a client configured only by the kubeconfig file, as the registry's is by KUBECONFIG
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
                .build();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    GenericKubernetesResource deployment(String kind, String name) {
        return client.genericKubernetesResources(StandInCluster.context("sambanova.ai/v1alpha1", kind))
                .withName(name).get();
    }

    static boolean ready(Pod pod) {
        return pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    @Test
    void theKubeconfigReachesTheLoadedObjectsOfBothGenerationsInItsNamespace() {
        assertEquals("team-x", client.getNamespace());
        assertNotNull(client.apiextensions().v1().customResourceDefinitions().withName("modeldeployments.sambanova.ai")
                .get());
        assertNotNull(client.apiextensions().v1().customResourceDefinitions().withName("bundledeployments.sambanova.ai")
                .get());
        assertNotNull(client.configMaps().withName(StandInCluster.READY_CONFIG_MAP).get());
        for (String[] o : List.of(new String[] { "Model", "meta-llama-3-3-70b-instruct" },
                new String[] { "ModelProfile", "llama-3-3-70b-8k" }, new String[] { "ModelBundle", "llama-3-3-bundle" },
                new String[] { "ModelDeployment", "llama-3-3-prod" }, new String[] { "Bundle", "llama-3-1-bundle" },
                new String[] { "BundleDeployment", "llama-3-1-legacy" })) {
            GenericKubernetesResource r = deployment(o[0], o[1]);
            assertNotNull(r, o[0] + " " + o[1]);
            assertEquals("team-x", r.getMetadata().getNamespace());
        }
    }

    @Test
    void podsAreOperatorNamedOwnedByTheirStatefulSetsAndNotReadyUntilTheDeploymentSaysSo() {
        GenericKubernetesResource md = deployment("ModelDeployment", "llama-3-3-prod");
        await().atMost(WAIT).untilAsserted(() -> {
            assertNotNull(client.pods().withName("inf-llama-3-3-prod-cache-0").get());
            assertNotNull(client.pods().withName("inf-llama-3-3-prod-q-default-n-0").get());
            assertNotNull(client.pods().withName("inf-llama-3-1-legacy-cache-0").get());
            assertNotNull(client.pods().withName("inf-llama-3-1-legacy-q-default-n-0").get());
        });
        Pod serving = client.pods().withName("inf-llama-3-3-prod-q-default-n-0").get();
        assertEquals("Running", serving.getStatus().getPhase());
        assertFalse(ready(serving));
        assertTrue(serving.getMetadata().getLabels().keySet().stream().noneMatch(k -> k.startsWith("sambanova.ai/")),
                "no SambaStack label on the pods: " + serving.getMetadata().getLabels());
        OwnerReference podOwner = serving.getMetadata().getOwnerReferences().get(0);
        assertEquals("StatefulSet", podOwner.getKind());
        assertEquals("inf-llama-3-3-prod-q-default-n", podOwner.getName());
        StatefulSet sts = client.apps().statefulSets().withName("inf-llama-3-3-prod-q-default-n").get();
        assertEquals(sts.getMetadata().getUid(), podOwner.getUid());
        OwnerReference stsOwner = sts.getMetadata().getOwnerReferences().get(0);
        assertEquals("ModelDeployment", stsOwner.getKind());
        assertEquals(md.getMetadata().getUid(), stsOwner.getUid());

        Set<String> readied = ConcurrentHashMap.newKeySet();
        try (Watch watch = client.pods().watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                if (action == Action.MODIFIED && ready(pod)) {
                    readied.add(pod.getMetadata().getName());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            client.genericKubernetesResources(StandInCluster.context("sambanova.ai/v1alpha1", "ModelDeployment"))
                    .withName("llama-3-3-prod").edit(d -> {
                        d.getMetadata().setAnnotations(Map.of(StandInOperator.READY_AFTER_ANNOTATION, "0s"));
                        return d;
                    });
            await().atMost(WAIT).until(() -> readied.containsAll(
                    Set.of("inf-llama-3-3-prod-cache-0", "inf-llama-3-3-prod-q-default-n-0")));
        }
        assertTrue(ready(client.pods().withName("inf-llama-3-3-prod-q-default-n-0").get()));
        assertFalse(ready(client.pods().withName("inf-llama-3-1-legacy-q-default-n-0").get()),
                "the BundleDeployment was not released");
    }

    @Test
    void aNewDeploymentGetsItsGroupsAndADeletedOneLosesItsPods() {
        GenericKubernetesResource created = cluster.create(new GenericKubernetesResourceBuilder()
                .withApiVersion("sambanova.ai/v1alpha1").withKind("ModelDeployment")
                .withNewMetadata().withName("bd-llama-4-maverick-17b-128e-instruct-alcf").endMetadata()
                .addToAdditionalProperties("spec", Map.of("bundle", "llama-3-3-bundle", "groups", List.of(
                        Map.of("name", "default", "minReplicas", 2))))
                .build());
        assertNotNull(created.getMetadata().getUid());
        // the public example of sambastack-tools: a long name cut to 52 with the SHA-256 suffix
        String serving = "inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n";
        await().atMost(WAIT).untilAsserted(() -> {
            assertNotNull(client.pods().withName(serving + "-0").get());
            assertNotNull(client.pods().withName(serving + "-1").get());
        });
        client.genericKubernetesResources(StandInCluster.context("sambanova.ai/v1alpha1", "ModelDeployment"))
                .withName("bd-llama-4-maverick-17b-128e-instruct-alcf").delete();
        await().atMost(WAIT).untilAsserted(() -> {
            assertNull(client.pods().withName(serving + "-0").get());
            assertNull(client.apps().statefulSets().withName(serving).get());
        });
        assertNotNull(client.pods().withName("inf-llama-3-3-prod-cache-0").get(), "other deployments keep theirs");
    }

    @Test
    void namesFollowTheOperatorsRule() {
        assertEquals("inf-llama-3-3-prod-cache", StandInOperator.cacheStatefulSet("llama-3-3-prod"));
        assertEquals("inf-llama-3-3-prod-q-default-n", StandInOperator.servingStatefulSet("llama-3-3-prod", "default"));
        assertEquals("inf-bd-llama-4-maverick-17b-128-f0968391-q-default-n",
                StandInOperator.servingStatefulSet("bd-llama-4-maverick-17b-128e-instruct-alcf", "default"));
        assertEquals(Duration.ofSeconds(20), StandInOperator.duration("20s").orElseThrow());
        assertTrue(StandInOperator.duration("never").isEmpty());
    }
}
