package io.parley.registry.kubernetes;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** The kubernetes source (two namespaces, a gateway for team-b) alongside the static one. */
public class KubernetesProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "parley.registry.source", "kubernetes,static",
                "parley.registry.kubernetes.namespaces", "team-a,team-b",
                "parley.registry.kubernetes.endpoints.gateways.team-b", "http://gateway.team-b.example:8080");
    }
}
