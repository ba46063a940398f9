package io.parley.chat.service;

import com.fasterxml.jackson.databind.JsonNode;

/** Body of {@code POST /v1/chat/sessions}. */
public record CreateSessionRequest(String model, JsonNode params, String title) {
}
