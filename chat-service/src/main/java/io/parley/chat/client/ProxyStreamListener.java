package io.parley.chat.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Receives one streamed turn from the inference proxy (whatever its endpoint). Exactly one of {@link #onComplete()} and
 * {@link #onError(String, String)} ends the stream (none after a cancel).
 */
public interface ProxyStreamListener {

    /** A content delta, in arrival order. */
    void onDelta(String content);

    /**
     * Reasoning output, in arrival order, apart from the answer: vLLM's {@code delta.reasoning_content} (or
     * {@code delta.reasoning}, its newer name), a Responses {@code response.reasoning_text.delta}, an Anthropic
     * {@code thinking_delta}.
     */
    default void onReasoning(String reasoning) {
    }

    /** The final usage object (OpenAI's tokens plus the proxy's server-side timing extras). */
    void onUsage(JsonNode usage);

    /** The stream ended normally ({@code data: [DONE]}). */
    void onComplete();

    /** The call failed before or during the stream. {@code code} is the proxy's error code when it sent one. */
    void onError(String code, String message);
}
