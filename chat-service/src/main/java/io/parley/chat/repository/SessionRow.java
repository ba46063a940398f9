package io.parley.chat.repository;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One row of {@code chat_sessions}. */
public record SessionRow(UUID id, String userId, String title, String modelName, String engineType,
        JsonNode constraints, ObjectNode params, Instant createdAt, Instant updatedAt) {
}
