package io.parley.registry.config;

import java.util.Optional;
import java.util.Set;

import io.smallrye.config.ConfigMapping;

/**
 * Which credential references may be resolved, under {@code parley.credentials}: the proxy reads the same key, so
 * both services apply one rule ({@code io.parley.contracts.CredentialRef}).
 */
@ConfigMapping(prefix = "parley.credentials")
public interface CredentialsConfig {

    /**
     * Environment variables an {@code env:NAME} reference may name; any other is refused. Absent: none (only
     * {@code secret:NAME/KEY} references then work).
     */
    Optional<Set<String>> allowedEnv();

    /** The allow-list as a set. */
    default Set<String> allowedEnvNames() {
        return allowedEnv().orElse(Set.of());
    }
}
