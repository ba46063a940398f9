package io.parley.proxy.service;

/** The upstream OpenAI API a call goes to, and its name in usage events. */
public enum EndpointKind {
    CHAT_COMPLETIONS("chat_completions", "/v1/chat/completions", "/v1/chat/completions"),
    COMPLETIONS("completions", "/v1/completions", "/v1/completions"),
    /** Anthropic Messages, translated to upstream chat completions. */
    MESSAGES("messages", "/v1/messages", "/v1/chat/completions"),
    /** OpenAI Responses, translated to upstream chat completions. */
    RESPONSES("responses", "/v1/responses", "/v1/chat/completions");

    private final String usageName;
    private final String path;
    private final String upstreamPath;

    EndpointKind(String usageName, String path, String upstreamPath) {
        this.usageName = usageName;
        this.path = path;
        this.upstreamPath = upstreamPath;
    }

    /** The upstream OpenAI path this kind is served by. */
    public String upstreamPath() {
        return upstreamPath;
    }

    public String usageName() {
        return usageName;
    }

    public String path() {
        return path;
    }
}
