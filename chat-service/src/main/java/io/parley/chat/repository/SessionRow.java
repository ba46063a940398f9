package io.parley.chat.repository;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One row of {@code chat_sessions}: owned by {@code ownerSub} (the token's {@code sub}, ADR 0011); {@code userId} is
 * the owner's user name when the session was created, kept for display and logs only.
 */
public record SessionRow(UUID id, String ownerSub, String userId, String title, String modelName, String engineType,
        JsonNode constraints, ObjectNode params, Instant createdAt, Instant updatedAt) {
}
