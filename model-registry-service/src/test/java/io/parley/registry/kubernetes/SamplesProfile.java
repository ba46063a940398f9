package io.parley.registry.kubernetes;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** The kubernetes source alone, with its defaults (both generations), on the namespace of k8s/samples. */
public class SamplesProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "parley.registry.source", "kubernetes",
                "parley.registry.kubernetes.namespaces", SamplesTest.NS);
    }
}
