package io.parley.chat.service;

import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One page of a session's messages, oldest first: the newest {@code limit} messages stored before a cursor.
 * {@code next} reads the page of older messages ({@code null} once the session's first message is in this page).
 */
public record MessagePage(List<MessageView> data, boolean hasMore, int limit,
        @JsonInclude(JsonInclude.Include.ALWAYS) String next) {

    /** What a session answer says about its messages: how many at most, whether older ones exist, where they are. */
    public record Links(int limit, boolean hasMore, @JsonInclude(JsonInclude.Include.ALWAYS) String next) {
    }

    public Links links() {
        return new Links(limit, hasMore, next);
    }

    static String nextUrl(UUID sessionId, UUID before, int limit) {
        return "/v1/chat/sessions/" + sessionId + "/messages?before=" + before + "&limit=" + limit;
    }
}
