package io.parley.chat.service;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Body of {@code POST /v1/chat/comparisons}: the prompt ({@code content}) sent to each of {@code models} (2 to 4
 * distinct names of running models), with the same {@code params} (validated for each model as a session's) and the
 * same turn envelope ({@code endpoint_mode}, {@code correlation_id}, {@code metadata}, {@code overrides},
 * {@code web_search}); an optional {@code title} (default: from the prompt).
 */
public record CreateComparisonRequest(String content, JsonNode models, JsonNode params, String title,
        String endpointMode, String correlationId, JsonNode metadata, JsonNode overrides, JsonNode webSearch) {

    /** The turn each column starts. */
    TurnRequest turn() {
        return new TurnRequest(content, null, null, null, endpointMode, correlationId, metadata, overrides, null,
                webSearch);
    }
}
