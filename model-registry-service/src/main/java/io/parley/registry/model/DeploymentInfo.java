package io.parley.registry.model;

import java.util.List;
import java.util.Optional;

/**
 * A deployment (a BundleDeployment, a ModelDeployment, or a static endpoint) with its served-ness, endpoint and pods.
 *
 * @param kind {@code BundleDeployment}, {@code ModelDeployment} or {@code static}
 * @param endpointResolvedBy {@code annotation}, {@code service}, {@code gateway} or {@code static}; empty when
 *        unresolved
 * @param notes what a person should know about models it does not offer ("model x is not routable")
 */
public record DeploymentInfo(
        String name,
        Optional<String> namespace,
        String source,
        String kind,
        Optional<String> bundle,
        Serving serving,
        List<Endpoint> endpoints,
        Optional<String> endpointResolvedBy,
        List<String> models,
        List<GroupInfo> groups,
        List<PodInfo> pods,
        List<String> notes) {
}
