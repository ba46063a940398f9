package io.parley.contracts;

import java.util.Arrays;
import java.util.Optional;

/**
 * The generation APIs the proxy serves, by their one name on the wire: chat-service's {@code endpoint_mode}, the usage
 * event's {@code endpoint_kind}, the proxy's routes. How a service serves or calls a kind (the proxy's upstream path,
 * chat-service's stream reader) stays in that service.
 */
public enum EndpointKind {
    CHAT_COMPLETIONS("chat_completions", "/v1/chat/completions"),
    /** OpenAI Responses. */
    RESPONSES("responses", "/v1/responses"),
    /** Anthropic Messages. */
    MESSAGES("messages", "/v1/messages"),
    /** Legacy text completions ({@code prompt}, {@code choices[].text}). */
    COMPLETIONS("completions", "/v1/completions");

    private final String wireName;
    private final String path;

    EndpointKind(String wireName, String path) {
        this.wireName = wireName;
        this.path = path;
    }

    /** The name in JSON: {@code endpoint_mode}, {@code endpoint_kind}. */
    public String wireName() {
        return wireName;
    }

    /** The proxy's path of this API. */
    public String path() {
        return path;
    }

    public static Optional<EndpointKind> of(String wireName) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(wireName)).findFirst();
    }
}
