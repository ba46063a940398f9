package io.parley.registry.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.parley.registry.config.RegistryConfig.Matching;
import io.parley.registry.crd.BundleDeployment;
import io.parley.registry.crd.BundleDeploymentSpec;
import io.parley.registry.kubernetes.PodMatcher.MatchedPod;
import io.parley.registry.model.GroupInfo;
import io.parley.registry.model.ModelState;
import io.parley.registry.model.PodInfo;
import io.parley.registry.model.Serving;

/**
 * The served-ness rule of §3 (SambaStack playground's): a deployment is served when it has pods, every matched pod
 * (cache pods and group pods alike) is Running with all containers ready, and every group has at least
 * {@code max(1, minReplicas)} ready pods. Otherwise the first problem becomes the reason.
 */
public final class ServingEvaluator {

    public record Result(Serving serving, List<PodInfo> pods, List<GroupInfo> groups) {
    }

    private final Matching rules;

    public ServingEvaluator(Matching rules) {
        this.rules = rules;
    }

    public Result evaluate(BundleDeployment deployment, List<MatchedPod> matched) {
        String name = deployment.getMetadata().getName();
        List<BundleDeploymentSpec.Group> groups = groups(deployment);
        List<PodInfo> pods = new ArrayList<>();
        for (MatchedPod m : matched) {
            pods.add(describe(m, name, groups));
        }
        List<GroupInfo> groupInfos = new ArrayList<>();
        for (BundleDeploymentSpec.Group g : groups) {
            List<PodInfo> inGroup = pods.stream().filter(p -> p.group().equals(Optional.of(g.getName()))).toList();
            int min = g.getMinReplicas() == null ? 0 : g.getMinReplicas();
            groupInfos.add(new GroupInfo(g.getName(), min, (int) inGroup.stream().filter(PodInfo::ready).count(),
                    inGroup.stream().map(PodInfo::name).toList()));
        }
        return new Result(serving(name, pods, groupInfos), List.copyOf(pods), List.copyOf(groupInfos));
    }

    private Serving serving(String name, List<PodInfo> pods, List<GroupInfo> groups) {
        if (pods.isEmpty()) {
            return Serving.no(ModelState.PENDING, "no pods found for deployment " + name);
        }
        List<PodInfo> failed = pods.stream().filter(p -> "Failed".equals(p.phase())).toList();
        if (!failed.isEmpty()) {
            return Serving.no(ModelState.FAILED, failed.get(0).reason().orElse("pod failed") + more(failed));
        }
        List<PodInfo> notReady = pods.stream().filter(p -> !p.ready()).toList();
        if (!notReady.isEmpty()) {
            return Serving.no(ModelState.PENDING, notReady.get(0).reason().orElse("pod not ready") + more(notReady));
        }
        for (GroupInfo g : groups) {
            int needed = Math.max(1, g.minReplicas());
            if (g.readyPods() < needed) {
                return Serving.no(ModelState.PENDING, g.pods().isEmpty()
                        ? "no pods for group " + g.name() + " of deployment " + name
                        : "group " + g.name() + " has " + g.readyPods() + " of " + needed + " ready pods");
            }
        }
        return Serving.yes();
    }

    private static String more(List<PodInfo> pods) {
        return pods.size() > 1 ? " (and " + (pods.size() - 1) + " more pod(s))" : "";
    }

    private List<BundleDeploymentSpec.Group> groups(BundleDeployment deployment) {
        var spec = deployment.getSpec();
        List<BundleDeploymentSpec.Group> groups = spec == null || spec.getGroups() == null ? List.of()
                : spec.getGroups().stream().filter(g -> g.getName() != null).toList();
        return groups.isEmpty() ? List.of(new BundleDeploymentSpec.Group(rules.defaultGroup(), 1)) : groups;
    }

    private PodInfo describe(MatchedPod m, String deployment, List<BundleDeploymentSpec.Group> groups) {
        Pod pod = m.pod();
        String name = m.name();
        String phase = pod.getStatus() == null || pod.getStatus().getPhase() == null ? "Unknown"
                : pod.getStatus().getPhase();
        Optional<String> group = group(pod, name, deployment, groups);
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return new PodInfo(name, group, phase, false, Optional.of("pod " + name + " is terminating"),
                    m.matchedBy());
        }
        if ("Failed".equals(phase)) {
            String why = pod.getStatus().getReason() != null ? pod.getStatus().getReason()
                    : String.valueOf(pod.getStatus().getMessage());
            return new PodInfo(name, group, phase, false, Optional.of("pod " + name + " failed: " + why),
                    m.matchedBy());
        }
        if (!"Running".equals(phase)) {
            String why = waitingReason(pod)
                    .or(() -> condition(pod, "PodScheduled").filter(c -> !"True".equals(c.getStatus()))
                            .map(PodCondition::getReason))
                    .orElse(phase);
            return new PodInfo(name, group, phase, false, Optional.of("pod " + name + " is " + phase + ": " + why),
                    m.matchedBy());
        }
        List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
        boolean containersReady = statuses != null && !statuses.isEmpty()
                && statuses.stream().allMatch(s -> Boolean.TRUE.equals(s.getReady()));
        boolean ready = statuses == null || statuses.isEmpty()
                ? condition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false)
                : containersReady;
        if (ready) {
            return new PodInfo(name, group, phase, true, Optional.empty(), m.matchedBy());
        }
        String why = condition(pod, "Ready").map(PodCondition::getReason).filter(r -> r != null && !r.isBlank())
                .or(() -> waitingReason(pod))
                .orElse("containers not ready");
        return new PodInfo(name, group, phase, false, Optional.of("pod " + name + " not ready: " + why),
                m.matchedBy());
    }

    private Optional<String> group(Pod pod, String name, String deployment,
            List<BundleDeploymentSpec.Group> groups) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        if (labels != null && labels.get(rules.groupLabel()) != null) {
            return Optional.of(labels.get(rules.groupLabel()));
        }
        for (BundleDeploymentSpec.Group g : groups) {
            if (name.startsWith(deployment + "-" + g.getName() + "-")) {
                return Optional.of(g.getName());
            }
        }
        if (name.startsWith(deployment + "-cache")) {
            return Optional.of("cache");
        }
        return Optional.empty();
    }

    private static Optional<PodCondition> condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private static Optional<String> waitingReason(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream()
                .filter(s -> s.getState() != null && s.getState().getWaiting() != null)
                .map(s -> s.getState().getWaiting().getReason())
                .filter(r -> r != null && !r.isBlank())
                .findFirst();
    }
}
