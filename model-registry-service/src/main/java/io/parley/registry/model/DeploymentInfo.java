package io.parley.registry.model;

import java.util.List;
import java.util.Optional;

/**
 * A deployment (a BundleDeployment, or a static endpoint) with its served-ness, endpoint and pods.
 *
 * @param endpointResolvedBy {@code annotation}, {@code service}, {@code gateway} or {@code static}; empty when
 *        unresolved
 */
public record DeploymentInfo(
        String name,
        Optional<String> namespace,
        String source,
        Optional<String> bundle,
        Serving serving,
        List<Endpoint> endpoints,
        Optional<String> endpointResolvedBy,
        List<String> models,
        List<GroupInfo> groups,
        List<PodInfo> pods) {
}
