package io.parley.registry.rest;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import io.parley.registry.model.ModelConstraints;

/** {@code GET /v1/models/{name}/constraints}: exactly the keys of §3. */
@JsonPropertyOrder({ "served_model_name", "engine_type", "task", "context_size", "max_model_len",
        "max_tokens_default", "request_defaults", "supports_streaming", "supports_system_prompt" })
public record Constraints(
        String servedModelName,
        String engineType,
        String task,
        Integer contextSize,
        Integer maxModelLen,
        int maxTokensDefault,
        Map<String, Object> requestDefaults,
        boolean supportsStreaming,
        boolean supportsSystemPrompt) {

    static Constraints of(ModelConstraints c) {
        return new Constraints(c.servedModelName(), c.engineType(), c.task(), c.contextSize(), c.maxModelLen(),
                c.maxTokensDefault(), c.requestDefaults(), c.supportsStreaming(), c.supportsSystemPrompt());
    }
}
