package io.parley.registry.model;

import java.util.Optional;

/**
 * A pod of a deployment as the registry judged it.
 *
 * @param group the group it belongs to, or {@code cache} / empty when none
 * @param matchedBy which rule tied it to the deployment: {@code label}, {@code owner-reference}, {@code name-prefix}
 */
public record PodInfo(String name, Optional<String> group, String phase, boolean ready, Optional<String> reason,
        String matchedBy) {
}
