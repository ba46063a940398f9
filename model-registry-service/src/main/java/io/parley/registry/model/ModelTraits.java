package io.parley.registry.model;

import java.util.Map;
import java.util.Optional;

/**
 * What a source knows about a model's limits and request defaults; anything absent is derived or probed.
 *
 * @param maxModelLen configured: wins over what the upstream reports
 * @param fallbackMaxModelLen derived by the source (e.g. the largest sequence length of a SambaStack ModelProfile's
 *        batching configs): used only when the upstream does not report one
 */
public record ModelTraits(
        Optional<Integer> maxModelLen,
        Optional<Integer> contextSize,
        Optional<Integer> maxTokensDefault,
        Map<String, Object> requestDefaults,
        boolean supportsStreaming,
        boolean supportsSystemPrompt,
        Optional<Integer> fallbackMaxModelLen) {

    public ModelTraits(Optional<Integer> maxModelLen, Optional<Integer> contextSize,
            Optional<Integer> maxTokensDefault, Map<String, Object> requestDefaults, boolean supportsStreaming,
            boolean supportsSystemPrompt) {
        this(maxModelLen, contextSize, maxTokensDefault, requestDefaults, supportsStreaming, supportsSystemPrompt,
                Optional.empty());
    }

    public static ModelTraits defaults(Map<String, Object> requestDefaults) {
        return new ModelTraits(Optional.empty(), Optional.empty(), Optional.empty(), requestDefaults, true, true);
    }

    public ModelTraits withFallbackMaxModelLen(Optional<Integer> fallback) {
        return new ModelTraits(maxModelLen, contextSize, maxTokensDefault, requestDefaults, supportsStreaming,
                supportsSystemPrompt, fallback);
    }
}
