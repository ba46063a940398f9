package io.parley.simulator.service;

/** The two generation endpoints. */
public enum Endpoint {
    CHAT_COMPLETIONS("chat_completions", "chatcmpl-"),
    COMPLETIONS("completions", "cmpl-");

    private final String tag;
    private final String idPrefix;

    Endpoint(String tag, String idPrefix) {
        this.tag = tag;
        this.idPrefix = idPrefix;
    }

    public String tag() {
        return tag;
    }

    public String idPrefix() {
        return idPrefix;
    }
}
