package io.parley.proxy.stream;

/** The upstream OpenAI API a call goes to, and its name in usage events. */
public enum EndpointKind {
    CHAT_COMPLETIONS("chat_completions", "/v1/chat/completions"),
    COMPLETIONS("completions", "/v1/completions");

    private final String usageName;
    private final String path;

    EndpointKind(String usageName, String path) {
        this.usageName = usageName;
        this.path = path;
    }

    public String usageName() {
        return usageName;
    }

    public String path() {
        return path;
    }
}
