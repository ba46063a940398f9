package io.parley.chat.service;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import io.parley.chat.repository.SessionRow;

/**
 * A session as the API answers it; {@code messages} only on {@code GET /v1/chat/sessions/{id}} (the newest page, with
 * {@code messages_page}) and in an export (all of them, no {@code messages_page}).
 */
public record SessionView(UUID id, String title, String modelName, String engineType, JsonNode params,
        JsonNode constraints, Instant createdAt, Instant updatedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<MessageView> messages,
        @JsonInclude(JsonInclude.Include.NON_NULL) MessagePage.Links messagesPage) {

    public static SessionView of(SessionRow s, List<MessageView> messages) {
        return new SessionView(s.id(), s.title(), s.modelName(), s.engineType(), s.params(), s.constraints(),
                s.createdAt(), s.updatedAt(), messages, null);
    }

    /** The session with the newest page of its messages, and how to read the older ones. */
    public static SessionView withPage(SessionRow s, MessagePage page) {
        return new SessionView(s.id(), s.title(), s.modelName(), s.engineType(), s.params(), s.constraints(),
                s.createdAt(), s.updatedAt(), page.data(), page.links());
    }
}
