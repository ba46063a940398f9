package io.parley.chat.client;

import java.util.Arrays;
import java.util.Optional;

/** Which proxy endpoint a turn calls; chat-service reads that endpoint's stream and emits the same turn events. */
public enum EndpointMode {
    CHAT_COMPLETIONS("chat_completions", "/v1/chat/completions"),
    RESPONSES("responses", "/v1/responses"),
    MESSAGES("messages", "/v1/messages"),
    /** Legacy text completions ({@code prompt}, {@code choices[].text}), for models that serve only these. */
    COMPLETIONS("completions", "/v1/completions");

    private final String wireName;
    private final String path;

    EndpointMode(String wireName, String path) {
        this.wireName = wireName;
        this.path = path;
    }

    /** The value of {@code endpoint_mode} in JSON. */
    public String wireName() {
        return wireName;
    }

    /** The proxy's path for this mode. */
    public String path() {
        return path;
    }

    public static Optional<EndpointMode> of(String wireName) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(wireName)).findFirst();
    }
}
