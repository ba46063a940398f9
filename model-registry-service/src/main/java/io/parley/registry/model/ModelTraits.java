package io.parley.registry.model;

import java.util.Map;
import java.util.Optional;

/** What a source knows about a model's limits and request defaults; anything absent is derived or probed. */
public record ModelTraits(
        Optional<Integer> maxModelLen,
        Optional<Integer> contextSize,
        Optional<Integer> maxTokensDefault,
        Map<String, Object> requestDefaults,
        boolean supportsStreaming,
        boolean supportsSystemPrompt) {

    public static ModelTraits defaults(Map<String, Object> requestDefaults) {
        return new ModelTraits(Optional.empty(), Optional.empty(), Optional.empty(), requestDefaults, true, true);
    }
}
