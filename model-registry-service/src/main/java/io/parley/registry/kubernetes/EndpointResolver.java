package io.parley.registry.kubernetes;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.parley.contracts.CredentialRef;
import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.Endpoint;
import io.parley.registry.sambastack.Resources.Meta;

/**
 * Where a deployment (BundleDeployment or ModelDeployment) is reached, in this order: (1) the URL in its
 * {@code parley.io/endpoint} annotation; (2) a Service of the same name in its namespace
 * ({@code http://<name>.<namespace>.svc:<port>}, the port named {@code http} or else the first); (3) the gateway URL
 * configured for its namespace (or for {@code *}).
 *
 * <p>
 * Annotations are written by whoever may create deployments, not by the operator, so they are checked (issue 15): the
 * endpoint annotation only in allowed namespaces and when the URL matches an allowed pattern; the credential
 * annotation only in the forms of {@link CredentialRef} (a Secret of the deployment's own namespace, or an
 * allow-listed environment variable). A refused annotation leaves the deployment without an endpoint, not served,
 * with the reason (fail closed: traffic and a key never go where the annotator pointed, nor silently elsewhere).
 */
public final class EndpointResolver {

    public static final String BY_ANNOTATION = "annotation";
    public static final String BY_SERVICE = "service";
    public static final String BY_GATEWAY = "gateway";

    public record Resolved(Endpoint endpoint, String by) {
    }

    /** The endpoint found, or why an annotation was refused (then no endpoint), or neither (none configured). */
    public record Resolution(Optional<Resolved> resolved, Optional<String> refusal) {

        static Resolution of(Resolved r) {
            return new Resolution(Optional.of(r), Optional.empty());
        }

        static Resolution refused(String reason) {
            return new Resolution(Optional.empty(), Optional.of(reason));
        }

        static Resolution none() {
            return new Resolution(Optional.empty(), Optional.empty());
        }
    }

    private final RegistryConfig.Endpoints rules;
    private final Set<String> allowedEnv;
    private final List<String> annotationNamespaces;

    public EndpointResolver(RegistryConfig.Endpoints rules, Set<String> allowedEnv) {
        this.rules = rules;
        this.allowedEnv = Set.copyOf(allowedEnv);
        this.annotationNamespaces = rules.annotationNamespaces().orElse(List.of());
    }

    public Resolution resolve(Meta deployment, Optional<Service> sameNameService) {
        String name = deployment.name();
        String namespace = deployment.namespace();
        Map<String, String> annotations = deployment.annotations();
        Optional<String> credential = Optional.empty();
        String credentialText = annotations.get(rules.credentialAnnotation());
        if (credentialText != null && !credentialText.isBlank()) {
            var checked = CredentialRef.check(credentialText, Optional.of(namespace), allowedEnv);
            if (checked.refusal().isPresent()) {
                return Resolution.refused("annotation " + rules.credentialAnnotation() + " refused: "
                        + checked.refusal().get());
            }
            credential = checked.ref().map(CredentialRef::text);
        }
        String annotated = annotations.get(rules.annotation());
        if (annotated != null && !annotated.isBlank()) {
            Optional<String> refusal = annotationRefusal(annotated.trim(), namespace);
            if (refusal.isPresent()) {
                return Resolution.refused("annotation " + rules.annotation() + " refused: " + refusal.get());
            }
            return Resolution.of(new Resolved(new Endpoint(annotated.trim(), credential), BY_ANNOTATION));
        }
        if (rules.service() && sameNameService.isPresent()) {
            Optional<Integer> port = port(sameNameService.get());
            if (port.isPresent()) {
                String url = "http://" + name + "." + namespace + ".svc:" + port.get();
                return Resolution.of(new Resolved(new Endpoint(url, credential), BY_SERVICE));
            }
        }
        String gateway = rules.gateways().getOrDefault(namespace, rules.gateways().get("*"));
        if (gateway != null && !gateway.isBlank()) {
            return Resolution.of(new Resolved(new Endpoint(gateway.trim(), credential), BY_GATEWAY));
        }
        return Resolution.none();
    }

    /** Why an annotated URL is not honoured for a deployment of {@code namespace}, or empty when it is. */
    Optional<String> annotationRefusal(String url, String namespace) {
        if (!annotationNamespaces.contains("*") && !annotationNamespaces.contains(namespace)) {
            return Optional.of("namespace " + namespace + " may not set upstream endpoints"
                    + " (parley.registry.kubernetes.endpoints.annotation-namespaces)");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            return Optional.of(url + " is not a URL");
        }
        if (uri.getScheme() == null || !Set.of("http", "https").contains(uri.getScheme()) || uri.getHost() == null
                || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return Optional.of(url + " is not a plain http(s) base URL");
        }
        for (String pattern : rules.annotationUrls()) {
            if (matches(pattern, url, namespace)) {
                return Optional.empty();
            }
        }
        return Optional.of(url + " matches none of the allowed URL patterns"
                + " (parley.registry.kubernetes.endpoints.annotation-urls)");
    }

    /** {@code *} matches a run of characters other than {@code / @ ? #}; {@code {namespace}} the namespace. */
    static boolean matches(String pattern, String url, String namespace) {
        StringBuilder regex = new StringBuilder();
        String p = pattern.trim().replace("{namespace}", "\u0000");
        for (char c : p.toCharArray()) {
            if (c == '*') {
                regex.append("[^/@?#]*");
            } else if (c == '\u0000') {
                regex.append(Pattern.quote(namespace));
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE).matcher(u).matches();
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
