package io.parley.chat.service;

import java.util.UUID;

/**
 * Body of {@code POST /v1/chat/sessions/{id}/fork}: copy the branch ending at {@code message_id} (default: the newest
 * message) into a new session, optionally with another {@code model} and {@code title}.
 */
public record ForkRequest(UUID messageId, String model, String title) {
}
