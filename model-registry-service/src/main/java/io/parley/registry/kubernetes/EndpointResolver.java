package io.parley.registry.kubernetes;

import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.Endpoint;
import io.parley.registry.sambastack.Resources.Meta;

/**
 * Where a deployment (BundleDeployment or ModelDeployment) is reached, in this order: (1) the URL in its
 * {@code parley.io/endpoint} annotation; (2) a
 * Service of the same name in its namespace ({@code http://<name>.<namespace>.svc:<port>}, the port named
 * {@code http} or else the first); (3) the gateway URL configured for its namespace (or for {@code *}).
 */
public final class EndpointResolver {

    public static final String BY_ANNOTATION = "annotation";
    public static final String BY_SERVICE = "service";
    public static final String BY_GATEWAY = "gateway";

    public record Resolved(Endpoint endpoint, String by) {
    }

    private final RegistryConfig.Endpoints rules;

    public EndpointResolver(RegistryConfig.Endpoints rules) {
        this.rules = rules;
    }

    public Optional<Resolved> resolve(Meta deployment, Optional<Service> sameNameService) {
        String name = deployment.name();
        String namespace = deployment.namespace();
        Map<String, String> annotations = deployment.annotations();
        Optional<String> credential = Optional.ofNullable(annotations.get(rules.credentialAnnotation()))
                .filter(s -> !s.isBlank());
        String annotated = annotations.get(rules.annotation());
        if (annotated != null && !annotated.isBlank()) {
            return Optional.of(new Resolved(new Endpoint(annotated.trim(), credential), BY_ANNOTATION));
        }
        if (rules.service() && sameNameService.isPresent()) {
            Optional<Integer> port = port(sameNameService.get());
            if (port.isPresent()) {
                String url = "http://" + name + "." + namespace + ".svc:" + port.get();
                return Optional.of(new Resolved(new Endpoint(url, credential), BY_SERVICE));
            }
        }
        String gateway = rules.gateways().getOrDefault(namespace, rules.gateways().get("*"));
        if (gateway != null && !gateway.isBlank()) {
            return Optional.of(new Resolved(new Endpoint(gateway.trim(), credential), BY_GATEWAY));
        }
        return Optional.empty();
    }

    private Optional<Integer> port(Service service) {
        if (service.getSpec() == null || service.getSpec().getPorts() == null
                || service.getSpec().getPorts().isEmpty()) {
            return Optional.empty();
        }
        return service.getSpec().getPorts().stream()
                .filter(p -> rules.servicePortName().equals(p.getName()))
                .findFirst()
                .or(() -> service.getSpec().getPorts().stream().findFirst())
                .map(ServicePort::getPort);
    }
}
