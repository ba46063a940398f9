package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;

/**
 * The assertions shared by the chart's and the kustomize manifests' tests: both describe the same platform and must
 * hold the same guarantees.
 */
final class Checks {

    /** Env var names that hold secrets: they must come from a Secret, never from a literal value. */
    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(PASSWORD|SECRET|TOKEN|API_KEY|CREDENTIAL).*");

    /** The Parley services (Quarkus, health on /q/health/*) by component label. */
    static final Map<String, String> SERVICES = Map.of("chat", "chat-service", "registry", "model-registry-service",
            "proxy", "inference-proxy-service", "usage", "usage-service");

    private Checks() {
    }

    /** A pod spec and where it came from. */
    record PodOf(Manifests.Doc owner, PodTemplateSpec template) {

        PodSpec spec() {
            return template.getSpec();
        }

        String component() {
            return template.getMetadata().getLabels().get("app.kubernetes.io/component");
        }
    }

    static List<PodOf> pods(List<Manifests.Doc> docs) {
        List<PodOf> pods = new ArrayList<>();
        for (Manifests.Doc doc : docs) {
            if (doc.typed() instanceof Deployment deployment) {
                pods.add(new PodOf(doc, deployment.getSpec().getTemplate()));
            } else if (doc.typed() instanceof StatefulSet statefulSet) {
                pods.add(new PodOf(doc, statefulSet.getSpec().getTemplate()));
            } else if (doc.typed() instanceof Pod pod) {
                pods.add(new PodOf(doc, new PodTemplateSpec(pod.getMetadata(), pod.getSpec())));
            }
        }
        return pods;
    }

    /** Restricted Pod Security Standard plus a read-only root filesystem with a writable emptyDir /tmp. */
    static void assertRestricted(PodOf pod) {
        PodSpec spec = pod.spec();
        String owner = pod.owner().id();
        PodSecurityContext podContext = Optional.ofNullable(spec.getSecurityContext()).orElseGet(PodSecurityContext::new);
        assertThat(spec.getHostNetwork()).as("%s hostNetwork", owner).isNotEqualTo(Boolean.TRUE);
        assertThat(spec.getHostPID()).as("%s hostPID", owner).isNotEqualTo(Boolean.TRUE);
        assertThat(spec.getHostIPC()).as("%s hostIPC", owner).isNotEqualTo(Boolean.TRUE);
        assertThat(spec.getVolumes()).as("%s volumes", owner).allSatisfy(volume -> assertThat(volume.getHostPath()).isNull());
        List<Container> containers = new ArrayList<>(spec.getContainers());
        if (spec.getInitContainers() != null) {
            containers.addAll(spec.getInitContainers());
        }
        for (Container container : containers) {
            String where = owner + " container " + container.getName();
            SecurityContext context = container.getSecurityContext();
            assertThat(context).as("%s securityContext", where).isNotNull();
            assertThat(context.getAllowPrivilegeEscalation()).as("%s allowPrivilegeEscalation", where).isFalse();
            assertThat(context.getPrivileged()).as("%s privileged", where).isNotEqualTo(Boolean.TRUE);
            assertThat(context.getReadOnlyRootFilesystem()).as("%s readOnlyRootFilesystem", where).isTrue();
            assertThat(context.getCapabilities()).as("%s capabilities", where).isNotNull();
            assertThat(context.getCapabilities().getDrop()).as("%s drops", where).containsExactly("ALL");
            assertThat(context.getCapabilities().getAdd()).as("%s adds", where).isNullOrEmpty();
            boolean nonRoot = Boolean.TRUE.equals(context.getRunAsNonRoot())
                    || Boolean.TRUE.equals(podContext.getRunAsNonRoot());
            assertThat(nonRoot).as("%s runAsNonRoot", where).isTrue();
            Long user = context.getRunAsUser() != null ? context.getRunAsUser() : podContext.getRunAsUser();
            assertThat(user).as("%s runs as a numeric non-root user", where).isNotNull().isPositive();
            String seccomp = context.getSeccompProfile() != null ? context.getSeccompProfile().getType()
                    : podContext.getSeccompProfile() != null ? podContext.getSeccompProfile().getType() : null;
            assertThat(seccomp).as("%s seccomp profile", where).isEqualTo("RuntimeDefault");
            assertThat(container.getVolumeMounts()).as("%s mounts a writable /tmp", where)
                    .anySatisfy(mount -> {
                        assertThat(mount.getMountPath()).isEqualTo("/tmp");
                        Volume volume = spec.getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                                .findFirst().orElseThrow();
                        assertThat(volume.getEmptyDir()).isNotNull();
                    });
        }
    }

    /** Parley services probe the Quarkus health endpoints on their HTTP port; the simulator its vLLM /health. */
    static void assertProbesOnRealEndpoints(PodOf pod) {
        Container container = pod.spec().getContainers().get(0);
        int port = container.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst().orElseThrow()
                .getContainerPort();
        assertThat(port).as("%s listens on 8080 in the cluster", pod.owner().id()).isEqualTo(8080);
        boolean simulator = "simulator".equals(pod.component());
        assertHttpProbe(pod, "startup", container.getStartupProbe(), simulator ? "/health" : "/q/health/started");
        assertHttpProbe(pod, "liveness", container.getLivenessProbe(), simulator ? "/health" : "/q/health/live");
        assertHttpProbe(pod, "readiness", container.getReadinessProbe(), simulator ? "/health" : "/q/health/ready");
    }

    private static void assertHttpProbe(PodOf pod, String kind, Probe probe, String path) {
        assertThat(probe).as("%s %s probe", pod.owner().id(), kind).isNotNull();
        assertThat(probe.getHttpGet()).as("%s %s probe is HTTP", pod.owner().id(), kind).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as("%s %s probe path", pod.owner().id(), kind).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).as("%s %s probe port", pod.owner().id(), kind)
                .isEqualTo("http");
    }

    /** Every env var that looks secret takes its value from a Secret by reference. */
    static void assertSecretsReferenced(PodOf pod) {
        for (Container container : pod.spec().getContainers()) {
            for (EnvVar env : Optional.ofNullable(container.getEnv()).orElse(List.of())) {
                // PARLEY_CREDENTIALS_ALLOWED_ENV lists names of variables, not their values
                if (SECRET_NAME.matcher(env.getName()).matches() && !env.getName().endsWith("_ALLOWED_ENV")) {
                    assertThat(env.getValue()).as("%s env %s has no literal value", pod.owner().id(), env.getName())
                            .isNull();
                    assertThat(env.getValueFrom()).as("%s env %s", pod.owner().id(), env.getName()).isNotNull();
                    assertThat(env.getValueFrom().getSecretKeyRef())
                            .as("%s env %s comes from a Secret", pod.owner().id(), env.getName()).isNotNull();
                }
            }
        }
    }

    /**
     * The registry's rules: exactly get/list/watch on what its informers watch: pods and services (core) and the two
     * Parley custom resources.
     */
    static void assertRegistryRules(List<PolicyRule> rules) {
        assertThat(rules).hasSize(2);
        assertThat(rules).anySatisfy(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getResources()).containsExactlyInAnyOrder("pods", "services");
            assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
            assertThat(rule.getResourceNames()).isNullOrEmpty();
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        });
        assertThat(rules).anySatisfy(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("sambanova.ai");
            assertThat(rule.getResources()).containsExactlyInAnyOrderElementsOf(RegistryKinds.plurals());
            assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
            assertThat(rule.getResourceNames()).isNullOrEmpty();
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        });
    }

    /** The literal value of an env var of the pod's first container (null when it comes from elsewhere). */
    static String literalEnv(PodOf pod, String name) {
        return pod.spec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name))
                .map(EnvVar::getValue).filter(Objects::nonNull).findFirst().orElse(null);
    }

    /**
     * The environment of the pod's first container as the kubelet builds it: ConfigMap references resolved against
     * the ConfigMaps among {@code docs} (a missing ConfigMap or key fails) and {@code $(VAR)} expanded; Secret
     * references are shown as {@code secret:<name>/<key>}.
     */
    static Map<String, String> resolvedEnv(PodOf pod, List<Manifests.Doc> docs) {
        Map<String, Map<String, String>> configMaps = new java.util.HashMap<>();
        for (Manifests.Doc doc : docs) {
            if (doc.typed() instanceof io.fabric8.kubernetes.api.model.ConfigMap configMap) {
                configMaps.put(configMap.getMetadata().getName(),
                        configMap.getData() == null ? Map.of() : configMap.getData());
            }
        }
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (EnvVar var : Optional.ofNullable(pod.spec().getContainers().get(0).getEnv()).orElse(List.of())) {
            String value;
            if (var.getValueFrom() == null) {
                value = var.getValue() == null ? "" : var.getValue();
                for (Map.Entry<String, String> defined : env.entrySet()) {
                    value = value.replace("$(" + defined.getKey() + ")", defined.getValue());
                }
            } else if (var.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = var.getValueFrom().getConfigMapKeyRef();
                Map<String, String> data = configMaps.get(ref.getName());
                assertThat(data).as("%s env %s: ConfigMap %s exists", pod.owner().id(), var.getName(), ref.getName())
                        .isNotNull();
                assertThat(data).as("%s env %s: key %s", pod.owner().id(), var.getName(), ref.getKey())
                        .containsKey(ref.getKey());
                value = data.get(ref.getKey());
            } else if (var.getValueFrom().getSecretKeyRef() != null) {
                value = "secret:" + var.getValueFrom().getSecretKeyRef().getName() + "/"
                        + var.getValueFrom().getSecretKeyRef().getKey();
            } else {
                value = "";
            }
            env.put(var.getName(), value);
        }
        return env;
    }

    /**
     * Every destination the NetworkPolicies selecting a component's pods let it connect to, as "peer port" strings.
     * Peers: {@code any}, {@code pod:<component of this release>}, {@code ns:<namespace or *>/<pod labels>},
     * {@code ip:<cidr>}; ports: {@code <port>/<protocol>} or {@code all}. Empty: no egress at all. Fails when no
     * policy restricts the pods' egress.
     */
    static Set<String> egressOf(List<NetworkPolicy> policies, String component) {
        List<NetworkPolicy> selecting = policies.stream()
                .filter(policy -> policy.getSpec().getPolicyTypes().contains("Egress"))
                .filter(policy -> component.equals(
                        policy.getSpec().getPodSelector().getMatchLabels().get("app.kubernetes.io/component")))
                .toList();
        assertThat(selecting).as("NetworkPolicies restricting the egress of %s", component).isNotEmpty();
        Set<String> allowed = new TreeSet<>();
        for (NetworkPolicy policy : selecting) {
            for (NetworkPolicyEgressRule rule : policy.getSpec().getEgress()) {
                List<String> peers = rule.getTo() == null || rule.getTo().isEmpty() ? List.of("any")
                        : rule.getTo().stream().map(Checks::peer).toList();
                List<String> ports = rule.getPorts() == null || rule.getPorts().isEmpty() ? List.of("all")
                        : rule.getPorts().stream().map(Checks::port).toList();
                peers.forEach(peer -> ports.forEach(port -> allowed.add(peer + " " + port)));
            }
        }
        return allowed;
    }

    private static String peer(NetworkPolicyPeer peer) {
        if (peer.getIpBlock() != null) {
            assertThat(peer.getPodSelector()).isNull();
            assertThat(peer.getNamespaceSelector()).isNull();
            return "ip:" + peer.getIpBlock().getCidr();
        }
        Map<String, String> pods = labels(peer.getPodSelector());
        if (peer.getNamespaceSelector() == null) {
            assertThat(pods).as("a pod of this release").containsEntry("app.kubernetes.io/instance", "parley")
                    .containsEntry("app.kubernetes.io/name", "parley").hasSize(3);
            return "pod:" + pods.get("app.kubernetes.io/component");
        }
        Map<String, String> namespace = labels(peer.getNamespaceSelector());
        assertThat(namespace.keySet()).as("namespaces by name only").isSubsetOf("kubernetes.io/metadata.name");
        return "ns:" + namespace.getOrDefault("kubernetes.io/metadata.name", "*") + "/"
                + pods.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    private static Map<String, String> labels(LabelSelector selector) {
        assertThat(selector).as("a label selector").isNotNull();
        assertThat(selector.getMatchExpressions()).as("match labels only").isNullOrEmpty();
        return new TreeMap<>(selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels());
    }

    private static String port(NetworkPolicyPort port) {
        assertThat(port.getEndPort()).isNull();
        return port.getPort().getIntVal() + "/" + port.getProtocol();
    }
}
