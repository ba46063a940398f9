package io.parley.simulator.service;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What the simulator needs from a chat or completion request, validated.
 *
 * @param promptTokens prompt size by the simulator's counting rule
 * @param echoText what echo mode repeats (last user message, or the completion prompt)
 * @param promptText all prompt text, the seed of lorem output
 */
public record GenerationRequest(Endpoint endpoint, String model, boolean stream, boolean includeUsage,
        OptionalInt maxTokens, double temperature, OptionalLong seed, List<String> stop, int promptTokens,
        String echoText, String promptText) {
}
