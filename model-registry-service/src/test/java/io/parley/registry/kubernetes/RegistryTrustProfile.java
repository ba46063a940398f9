package io.parley.registry.kubernetes;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Registry trust (issue 15 point 6): endpoint annotations allowed in team-a only, for loopback (the test upstream)
 * and Services of the deployment's own namespace; one allowed environment variable.
 */
public class RegistryTrustProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "parley.registry.source", "kubernetes",
                "parley.registry.kubernetes.namespaces", "team-a,team-b",
                "parley.registry.kubernetes.endpoints.annotation-namespaces", "team-a",
                "parley.registry.kubernetes.endpoints.annotation-urls",
                "http://127.0.0.1:*,http://127.0.0.1:*/keyed,http://*.{namespace}.svc:*",
                "parley.credentials.allowed-env", "PARLEY_TEST_KEYED_KEY",
                "PARLEY_DB_PASSWORD", "db-password-never-sent");
    }
}
