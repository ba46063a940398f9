package io.parley.registry.model;

import java.util.Map;

/** What a caller must respect when it calls a model: derived from its source's traits and its upstream's report. */
public record ModelConstraints(
        String servedModelName,
        String engineType,
        String task,
        Integer contextSize,
        Integer maxModelLen,
        int maxTokensDefault,
        Map<String, Object> requestDefaults,
        boolean supportsStreaming,
        boolean supportsSystemPrompt) {
}
