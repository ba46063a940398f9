package io.parley.e2e.platform;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The stand-in's inference operator: for every ModelDeployment and BundleDeployment of its namespace it makes what
 * SambaStack's operator makes, a cache StatefulSet {@code inf-N-cache} with pod {@code inf-N-cache-0} and per group a
 * serving StatefulSet {@code inf-N-q-<group>-n} with {@code minReplicas} pods {@code inf-N-q-<group>-n-<i>}, each
 * StatefulSet owned by the deployment and each pod by its StatefulSet, with no Parley or SambaStack label on the
 * pods. New pods are Running and not ready ({@code ContainersNotReady}, as while a model loads); after the delay
 * (the deployment's {@value #READY_AFTER_ANNOTATION} annotation, else the stand-in's default) they turn ready.
 * The StatefulSets and pods of a deleted deployment are deleted (the mock server has no garbage collector).
 * <p>
 * The naming rule is written here on its own, not taken from the registry, so the end-to-end test checks the
 * registry against the rule rather than against itself. Source: the public sambanova/sambastack-tools repository,
 * {@code sambawiz/app/utils/inference-pod-names.ts} and {@code pod-name-limits.ts} (a port of the operator's
 * {@code make_kube_name}): a name past its limit (63 for {@code inf-N} and the cache StatefulSet, 52 for a serving
 * StatefulSet) is cut and gets {@code -} plus the first 8 hex characters of the SHA-256 of the uncut name.
 */
public final class StandInOperator {

    /** On a deployment: how long its new pods stay not ready ({@code 0s}, {@code 30s}, {@code 2m}, {@code never}). */
    public static final String READY_AFTER_ANNOTATION = "stand-in.parley.io/ready-after";
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String MANAGER = "parley-stand-in-operator";
    static final String DEPLOYMENT_LABEL = "stand-in.parley.io/deployment";
    static final List<String> KINDS = List.of("ModelDeployment", "BundleDeployment");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    private final KubernetesClient client;
    private final String namespace;
    private final Duration defaultReadyAfter;
    /** When this operator created each pod (its clock, not the server's second-precision timestamp). */
    private final Map<String, Instant> created = new ConcurrentHashMap<>();

    StandInOperator(KubernetesClient client, String namespace, Duration defaultReadyAfter) {
        this.client = client;
        this.namespace = namespace;
        this.defaultReadyAfter = defaultReadyAfter;
    }

    /** One pass: create what is missing, turn ready what is due, delete what belongs to no deployment any more. */
    void reconcile() {
        Set<String> wanted = new HashSet<>();
        for (String kind : KINDS) {
            for (GenericKubernetesResource d : client.genericKubernetesResources(
                    StandInCluster.context("sambanova.ai/v1alpha1", kind)).inNamespace(namespace).list().getItems()) {
                wanted.add(d.getMetadata().getName());
                reconcile(d);
            }
        }
        for (StatefulSet sts : client.apps().statefulSets().inNamespace(namespace).withLabel(MANAGED_BY, MANAGER)
                .list().getItems()) {
            String owner = sts.getMetadata().getLabels().get(DEPLOYMENT_LABEL);
            if (!wanted.contains(owner)) {
                client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/instance", sts.getMetadata()
                        .getName()).delete();
                client.apps().statefulSets().inNamespace(namespace).withName(sts.getMetadata().getName()).delete();
                StandInCluster.say("deleted " + sts.getMetadata().getName() + " (deployment " + owner + " is gone)");
            }
        }
    }

    private void reconcile(GenericKubernetesResource d) {
        String name = d.getMetadata().getName();
        Map<String, String> annotations = Optional.ofNullable(d.getMetadata().getAnnotations()).orElse(Map.of());
        Optional<Duration> readyAfter = Optional.ofNullable(defaultReadyAfter);
        if (annotations.containsKey(READY_AFTER_ANNOTATION)) {
            try {
                readyAfter = duration(annotations.get(READY_AFTER_ANNOTATION));
            } catch (IllegalArgumentException e) {
                readyAfter = Optional.empty();
            }
        }
        Map<String, Integer> statefulSets = new LinkedHashMap<>();
        statefulSets.put(cacheStatefulSet(name), 1);
        groups(d).forEach((group, replicas) -> statefulSets.put(servingStatefulSet(name, group), replicas));
        for (Map.Entry<String, Integer> e : statefulSets.entrySet()) {
            StatefulSet sts = statefulSet(d, e.getKey(), e.getValue());
            for (int i = 0; i < e.getValue(); i++) {
                pod(sts, e.getKey() + "-" + i, i, readyAfter);
            }
        }
    }

    /** {@code spec.groups[].name → minReplicas}, read leniently (a malformed group is skipped, as {@code default}). */
    @SuppressWarnings("unchecked")
    static Map<String, Integer> groups(GenericKubernetesResource d) {
        Map<String, Integer> out = new LinkedHashMap<>();
        Object spec = d.getAdditionalProperties().get("spec");
        Object groups = spec instanceof Map<?, ?> m ? m.get("groups") : null;
        if (groups instanceof List<?> list) {
            for (Object g : list) {
                if (g instanceof Map<?, ?> group && group.get("name") instanceof String groupName) {
                    Object min = ((Map<String, Object>) group).get("minReplicas");
                    out.put(groupName, min instanceof Number n ? Math.max(1, n.intValue()) : 1);
                }
            }
        }
        if (out.isEmpty()) {
            out.put("default", 1);
        }
        return out;
    }

    private StatefulSet statefulSet(GenericKubernetesResource d, String name, int replicas) {
        StatefulSet existing = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
        if (existing != null) {
            return existing;
        }
        OwnerReference owner = new OwnerReferenceBuilder().withApiVersion(d.getApiVersion()).withKind(d.getKind())
                .withName(d.getMetadata().getName()).withUid(d.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).build();
        StatefulSet sts = new StatefulSetBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels(MANAGED_BY, MANAGER).addToLabels(DEPLOYMENT_LABEL, d.getMetadata().getName())
                .withOwnerReferences(owner).endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName(name)
                .withNewSelector().addToMatchLabels("app.kubernetes.io/instance", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app.kubernetes.io/instance", name).endMetadata()
                .withNewSpec().addNewContainer().withName("inference").withImage("sambastack/inference:stand-in")
                .endContainer().endSpec().endTemplate().endSpec()
                .build();
        StandInCluster.say("created StatefulSet " + name + " of " + d.getKind() + " " + d.getMetadata().getName());
        return client.apps().statefulSets().inNamespace(namespace).resource(sts).create();
    }

    private void pod(StatefulSet sts, String name, int index, Optional<Duration> readyAfter) {
        Pod pod = client.pods().inNamespace(namespace).withName(name).get();
        if (pod == null) {
            Instant now = Instant.now();
            created.put(name, now);
            String stsName = sts.getMetadata().getName();
            pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                    .withCreationTimestamp(now.truncatedTo(ChronoUnit.SECONDS).toString())
                    // the labels a StatefulSet controller puts on its pods; none names the SambaStack deployment
                    .addToLabels("app.kubernetes.io/instance", stsName)
                    .addToLabels("statefulset.kubernetes.io/pod-name", name)
                    .addToLabels("apps.kubernetes.io/pod-index", Integer.toString(index))
                    .addToLabels("controller-revision-hash", stsName + "-" + shortHash(stsName))
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                            .withName(stsName).withUid(sts.getMetadata().getUid()).withController(true)
                            .withBlockOwnerDeletion(true).build())
                    .endMetadata()
                    .withNewSpec().addNewContainer().withName("inference").withImage("sambastack/inference:stand-in")
                    .endContainer().endSpec()
                    .withStatus(status(false, now))
                    .build();
            client.pods().inNamespace(namespace).resource(pod).create();
            StandInCluster.say("created pod " + name + " (not ready)");
            return;
        }
        boolean ready = pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        Instant since = created.computeIfAbsent(name, n -> Instant.now());
        if (!ready && readyAfter.isPresent() && !Instant.now().isBefore(since.plus(readyAfter.get()))) {
            // the whole object replaced (PUT): the mock server's merge patch would append to the condition list
            pod.setStatus(status(true, since));
            client.pods().inNamespace(namespace).resource(pod).update();
            StandInCluster.say("pod " + name + " is ready");
        }
    }

    /** A Running pod whose container has started; ready, or not yet ({@code ContainersNotReady}). */
    static PodStatus status(boolean ready, Instant started) {
        String at = started.truncatedTo(ChronoUnit.SECONDS).toString();
        String flag = ready ? "True" : "False";
        List<PodCondition> conditions = new ArrayList<>();
        conditions.add(new PodConditionBuilder().withType("PodScheduled").withStatus("True").build());
        conditions.add(new PodConditionBuilder().withType("Initialized").withStatus("True").build());
        for (String type : List.of("ContainersReady", "Ready")) {
            PodConditionBuilder c = new PodConditionBuilder().withType(type).withStatus(flag);
            if (!ready) {
                c.withReason("ContainersNotReady").withMessage("containers with unready status: [inference]");
            }
            conditions.add(c.build());
        }
        return new PodStatusBuilder().withPhase("Running").withStartTime(at).withConditions(conditions)
                .withContainerStatuses(new ContainerStatusBuilder().withName("inference")
                        .withImage("sambastack/inference:stand-in").withReady(ready).withStarted(true)
                        .withRestartCount(0).withNewState().withNewRunning().withStartedAt(at).endRunning().endState()
                        .build())
                .build();
    }

    /** {@code 250ms}, {@code 20s}, {@code 2m}, {@code 1h}; empty for {@code never}. */
    static Optional<Duration> duration(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("never")) {
            return Optional.empty();
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration (like 20s or never): " + text);
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        });
    }

    /** {@code inf-N}, cut to 63. */
    static String inferenceName(String deployment) {
        return kubeName(deployment, "inf-", "", 63);
    }

    /** {@code inf-N-cache}, cut to 63; its pod is {@code <this>-0}. */
    static String cacheStatefulSet(String deployment) {
        return kubeName(inferenceName(deployment), "", "-cache", 63);
    }

    /** {@code inf-N-q-<group>-n}, cut to 52; its pods are {@code <this>-<i>}. */
    static String servingStatefulSet(String deployment, String group) {
        return kubeName(inferenceName(deployment), "", "-q-" + group + "-n", 52);
    }

    private static String kubeName(String base, String prefix, String suffix, int limit) {
        int room = limit - prefix.length() - suffix.length();
        if (base.length() <= room) {
            return prefix + base + suffix;
        }
        return prefix + base.substring(0, Math.max(0, room - 9)) + "-" + sha256(base).substring(0, 8) + suffix;
    }

    private static String shortHash(String value) {
        return sha256(value).substring(0, 10);
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
