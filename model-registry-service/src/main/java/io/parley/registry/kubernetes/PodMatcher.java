package io.parley.registry.kubernetes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.parley.registry.config.RegistryConfig.Matching;
import io.parley.registry.sambastack.OperatorNames;
import io.parley.registry.sambastack.Resources.Deployment;
import io.parley.registry.sambastack.Resources.Group;

/**
 * Ties pods to the deployments (BundleDeployments and ModelDeployments) of one namespace. Rules, first match wins:
 * (1) the inference operator's naming rule: the pod is {@code <statefulset>-<i>} of the deployment's cache
 * StatefulSet or of one of its groups' serving StatefulSets ({@link OperatorNames}, long names cut and hashed);
 * (2) the owner chain: the pod's owner StatefulSet is one of those, or any {@code inf-<name>-...} StatefulSet;
 * then the configurable rules for other operators: (3) a label whose value is the deployment's name; (4) an owner
 * reference of kind BundleDeployment/ModelDeployment with its name; (5) the pod name starts with
 * {@code <deployment>-} or {@code inf-<deployment>-}, the longest deployment name winning.
 */
public final class PodMatcher {

    public static final String BY_OPERATOR_NAME = "operator-name";
    public static final String BY_OWNER_STATEFULSET = "owner-statefulset";
    public static final String BY_LABEL = "label";
    public static final String BY_OWNER = "owner-reference";
    public static final String BY_PREFIX = "name-prefix";
    public static final String CACHE = "cache";

    /** A pod, the rule that matched it and its group ({@code cache} for the cache pod; empty when unknown). */
    public record MatchedPod(Pod pod, String matchedBy, Optional<String> group) {
        public String name() {
            return pod.getMetadata().getName();
        }

        /** Found by the operator's own naming (so the deployment is the operator's: it must have a cache pod). */
        public boolean byOperator() {
            return BY_OPERATOR_NAME.equals(matchedBy) || BY_OWNER_STATEFULSET.equals(matchedBy);
        }
    }

    private record Target(String key, String group) {
    }

    private final Matching rules;

    public PodMatcher(Matching rules) {
        this.rules = rules;
    }

    /** The key a deployment's pods are filed under: {@code <kind>/<name>}. */
    public static String key(Deployment d) {
        return d.meta().kind() + "/" + d.meta().name();
    }

    /** The groups of a deployment: its {@code spec.groups}, or the default group with one replica. */
    public List<Group> groups(Deployment d) {
        return d.groups().isEmpty() ? List.of(new Group(rules.defaultGroup(), 1)) : d.groups();
    }

    /** Deployment key to its pods (sorted by name), for deployments and pods of one namespace. */
    public Map<String, List<MatchedPod>> match(List<Deployment> deployments, List<Pod> pods) {
        Map<String, List<MatchedPod>> out = new LinkedHashMap<>();
        Map<String, Target> statefulSets = new HashMap<>();
        Map<String, List<String>> byName = new HashMap<>();
        List<Map.Entry<String, String>> prefixes = new ArrayList<>();
        for (Deployment d : deployments) {
            String key = key(d);
            String name = d.meta().name();
            out.put(key, new ArrayList<>());
            byName.computeIfAbsent(name, n -> new ArrayList<>()).add(key);
            statefulSets.put(OperatorNames.cacheStatefulSet(name), new Target(key, CACHE));
            for (Group g : groups(d)) {
                statefulSets.put(OperatorNames.servingStatefulSet(name, g.name()), new Target(key, g.name()));
            }
            prefixes.add(Map.entry(OperatorNames.inferenceName(name) + "-", key));
            prefixes.add(Map.entry(name + "-", key));
        }
        prefixes.sort(Comparator.comparingInt((Map.Entry<String, String> e) -> e.getKey().length()).reversed());
        for (Pod pod : pods) {
            match(pod, statefulSets, byName, prefixes).ifPresent(m -> out.get(m.key()).add(m.pod()));
        }
        out.values().forEach(list -> list.sort(Comparator.comparing(MatchedPod::name)));
        return out;
    }

    private record Match(String key, MatchedPod pod) {
    }

    private static Optional<Match> found(String key, Pod pod, String by, Optional<String> group) {
        return Optional.of(new Match(key, new MatchedPod(pod, by, group)));
    }

    private Optional<Match> match(Pod pod, Map<String, Target> statefulSets, Map<String, List<String>> byName,
            List<Map.Entry<String, String>> prefixes) {
        String name = pod.getMetadata().getName();
        int dash = name.lastIndexOf('-');
        if (dash > 0) {
            Target t = statefulSets.get(name.substring(0, dash));
            if (t != null && OperatorNames.isPodOf(name, name.substring(0, dash))) {
                return found(t.key(), pod, BY_OPERATOR_NAME, Optional.of(t.group()));
            }
        }
        List<OwnerReference> owners = pod.getMetadata().getOwnerReferences() == null ? List.of()
                : pod.getMetadata().getOwnerReferences();
        for (OwnerReference ref : owners) {
            if ("StatefulSet".equals(ref.getKind()) && ref.getName() != null) {
                Target t = statefulSets.get(ref.getName());
                if (t != null) {
                    return found(t.key(), pod, BY_OWNER_STATEFULSET, Optional.of(t.group()));
                }
                for (var prefix : prefixes) {
                    if (prefix.getKey().startsWith("inf-") && ref.getName().startsWith(prefix.getKey())) {
                        return found(prefix.getValue(), pod, BY_OWNER_STATEFULSET,
                                groupFromStatefulSet(ref.getName().substring(prefix.getKey().length())));
                    }
                }
            }
        }
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        for (String label : rules.podLabels()) {
            String value = labels.get(label);
            if (value != null && byName.containsKey(value)) {
                return found(byName.get(value).get(0), pod, BY_LABEL, labelGroup(labels, name, value));
            }
        }
        if (rules.ownerReference()) {
            for (OwnerReference ref : owners) {
                if (("BundleDeployment".equals(ref.getKind()) || "ModelDeployment".equals(ref.getKind()))
                        && byName.containsKey(ref.getName())) {
                    String key = ref.getKind() + "/" + ref.getName();
                    return found(byName.get(ref.getName()).contains(key) ? key : byName.get(ref.getName()).get(0),
                            pod, BY_OWNER, labelGroup(labels, name, ref.getName()));
                }
            }
        }
        if (rules.namePrefix()) {
            for (var prefix : prefixes) {
                if (name.startsWith(prefix.getKey())) {
                    String deployment = prefix.getKey().substring(0, prefix.getKey().length() - 1);
                    return found(prefix.getValue(), pod, BY_PREFIX, labelGroup(labels, name, deployment));
                }
            }
        }
        return Optional.empty();
    }

    /** {@code q-<group>-n} or {@code cache} (what follows {@code inf-<name>-} in a StatefulSet name). */
    private static Optional<String> groupFromStatefulSet(String rest) {
        if (rest.equals(CACHE) || rest.startsWith(CACHE + "-")) {
            return Optional.of(CACHE);
        }
        if (rest.startsWith("q-") && rest.endsWith("-n") && rest.length() > 4) {
            return Optional.of(rest.substring(2, rest.length() - 2));
        }
        return Optional.empty();
    }

    /** The group label, else read from the name {@code [inf-]<deployment>-<group>-...} / {@code -cache}. */
    private Optional<String> labelGroup(Map<String, String> labels, String pod, String deployment) {
        String label = labels.get(rules.groupLabel());
        if (label != null && !label.isBlank()) {
            return Optional.of(label);
        }
        for (String base : List.of(OperatorNames.inferenceName(deployment) + "-", deployment + "-")) {
            if (pod.startsWith(base)) {
                String rest = pod.substring(base.length());
                if (rest.startsWith(CACHE)) {
                    return Optional.of(CACHE);
                }
                if (rest.startsWith("q-")) {
                    int end = rest.indexOf("-n-");
                    if (end > 2) {
                        return Optional.of(rest.substring(2, end));
                    }
                }
                int dash = rest.indexOf('-');
                if (dash > 0) {
                    return Optional.of(rest.substring(0, dash));
                }
            }
        }
        return Optional.empty();
    }
}
