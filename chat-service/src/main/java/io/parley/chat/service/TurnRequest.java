package io.parley.chat.service;

import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Body of {@code POST /v1/chat/sessions/{id}/turns}: the user's {@code content}; optional {@code idempotency_key}
 * (a replay answers the same turn); optional {@code parent_id} (the message this turn continues from, default the
 * newest one). {@code attachments} are not supported yet.
 */
public record TurnRequest(String content, JsonNode attachments, String idempotencyKey, UUID parentId) {
}
