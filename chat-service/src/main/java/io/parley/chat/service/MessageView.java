package io.parley.chat.service;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.chat.repository.MessageRow;

/** A message as the API answers it. */
public record MessageView(UUID id, String role, String content, String status, String error, JsonNode metrics,
        JsonNode usage, UUID parentId, Instant createdAt) {

    public static MessageView of(MessageRow m) {
        return new MessageView(m.id(), m.role(), m.content(), m.status(), m.error(), m.metrics(), m.usage(),
                m.parentId(), m.createdAt());
    }
}
