package io.parley.registry.kubernetes;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** The kubernetes source alone, on one namespace whose pods the API server refuses to list. */
public class NotSyncedProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "parley.registry.source", "kubernetes",
                "parley.registry.kubernetes.namespaces", ReadinessBeforeSyncTest.NS);
    }
}
