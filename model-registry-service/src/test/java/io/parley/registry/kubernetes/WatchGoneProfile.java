package io.parley.registry.kubernetes;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** The kubernetes source alone, on one namespace served by an expectation-mode mock API server. */
public class WatchGoneProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "parley.registry.source", "kubernetes",
                "parley.registry.kubernetes.namespaces", WatchGoneTest.NS);
    }
}
