package io.parley.registry.kubernetes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.parley.registry.config.RegistryConfig.Matching;

/**
 * Ties pods to BundleDeployments of the same namespace. Rules, first match wins: (1) a configured label whose value is
 * the deployment's name; (2) an owner reference of kind BundleDeployment with its name; (3) the pod name starts with
 * {@code <deployment>-}, the longest such deployment name winning.
 */
public final class PodMatcher {

    public static final String BY_LABEL = "label";
    public static final String BY_OWNER = "owner-reference";
    public static final String BY_PREFIX = "name-prefix";

    /** A pod and the rule that matched it. */
    public record MatchedPod(Pod pod, String matchedBy) {
        public String name() {
            return pod.getMetadata().getName();
        }
    }

    private final Matching rules;

    public PodMatcher(Matching rules) {
        this.rules = rules;
    }

    /** Deployment name to its pods (sorted by name), for pods and deployments of one namespace. */
    public Map<String, List<MatchedPod>> match(Set<String> deploymentNames, List<Pod> pods) {
        Map<String, List<MatchedPod>> out = new LinkedHashMap<>();
        deploymentNames.forEach(d -> out.put(d, new ArrayList<>()));
        List<String> byLength = deploymentNames.stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .collect(Collectors.toList());
        for (Pod pod : pods) {
            owner(pod, deploymentNames, byLength).ifPresent(m -> out.get(m.deployment()).add(m.pod()));
        }
        out.values().forEach(list -> list.sort(Comparator.comparing(MatchedPod::name)));
        return out;
    }

    private record Match(String deployment, MatchedPod pod) {
    }

    private Optional<Match> owner(Pod pod, Set<String> deployments, List<String> byLength) {
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        for (String key : rules.podLabels()) {
            String value = labels.get(key);
            if (value != null && deployments.contains(value)) {
                return Optional.of(new Match(value, new MatchedPod(pod, BY_LABEL)));
            }
        }
        if (rules.ownerReference() && pod.getMetadata().getOwnerReferences() != null) {
            for (OwnerReference ref : pod.getMetadata().getOwnerReferences()) {
                if ("BundleDeployment".equals(ref.getKind()) && deployments.contains(ref.getName())) {
                    return Optional.of(new Match(ref.getName(), new MatchedPod(pod, BY_OWNER)));
                }
            }
        }
        if (rules.namePrefix()) {
            String name = pod.getMetadata().getName();
            for (String d : byLength) {
                if (name.startsWith(d + "-")) {
                    return Optional.of(new Match(d, new MatchedPod(pod, BY_PREFIX)));
                }
            }
        }
        return Optional.empty();
    }
}
