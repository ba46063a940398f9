package io.parley.registry.rest;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Probes that may take longer than the TTL, so a hanging upstream shows TTL expiry rather than a probe failure. */
public class TtlProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "parley.registry.health.poll", "1s",
                "parley.registry.health.ttl", "2s",
                "parley.registry.health.timeout", "30s");
    }
}
