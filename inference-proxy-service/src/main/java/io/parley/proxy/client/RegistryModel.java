package io.parley.proxy.client;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One model as the registry lists it (docs/architecture.md, model-registry-service). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RegistryModel(String name, String deployment, String namespace, String source, String engineType,
        String task, String state, String reason, List<Endpoint> endpoints, Integer maxModelLen) {

    public RegistryModel {
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
    }

    public boolean ready() {
        return "Ready".equalsIgnoreCase(state) && !endpoints.isEmpty();
    }

    /** A serving endpoint; {@code credentialRef} names where the upstream API key is found (e.g. {@code env:X}). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Endpoint(String url, String credentialRef) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ModelList(List<RegistryModel> models) {
        public ModelList {
            models = models == null ? List.of() : List.copyOf(models);
        }
    }
}
