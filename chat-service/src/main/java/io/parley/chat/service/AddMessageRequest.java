package io.parley.chat.service;

import java.util.UUID;

/** Body of {@code POST /v1/chat/sessions/{id}/messages}: a message stored without generation. */
public record AddMessageRequest(String role, String content, UUID parentId) {
}
