package io.parley.proxy.config;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Which credential references the proxy resolves for upstream calls, under {@code parley.credentials}: the registry
 * reads the same {@code allowed-env}, so both apply one rule ({@code io.parley.contracts.CredentialRef}).
 */
@ConfigMapping(prefix = "parley.credentials")
public interface CredentialsConfig {

    /** Environment variables an {@code env:NAME} reference may name; any other is refused. Absent: none. */
    Optional<Set<String>> allowedEnv();

    /** The Kubernetes API server that {@code secret:NAMESPACE/NAME/KEY} references are read from. */
    @WithDefault("https://kubernetes.default.svc")
    String kubernetesApi();

    /** The service account token the proxy reads Secrets with. */
    @WithDefault("/var/run/secrets/kubernetes.io/serviceaccount/token")
    String tokenFile();

    /** The CA of the API server (used when the file exists). */
    @WithDefault("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
    String caFile();

    /** How long a Secret's key is used before it is read again (a rotated key is picked up within this time). */
    @WithDefault("60s")
    Duration secretTtl();

    default Set<String> allowedEnvNames() {
        return allowedEnv().orElse(Set.of());
    }
}
