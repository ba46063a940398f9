package io.parley.simulator.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** vLLM's {@code GET /v1/models} answer. */
public record ModelList(String object, List<ModelCard> data) {

    public static ModelList of(List<ModelCard> data) {
        return new ModelList("list", data);
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ModelCard(String id, String object, long created, String ownedBy, String root, String parent,
            int maxModelLen, List<ModelPermission> permission) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ModelPermission(String id, String object, long created, boolean allowCreateEngine,
            boolean allowSampling, boolean allowLogprobs, boolean allowSearchIndices, boolean allowView,
            boolean allowFineTuning, String organization, String group, boolean isBlocking) {
    }
}
