package io.parley.chat.service;

import com.fasterxml.jackson.databind.JsonNode;

/** Body of {@code PATCH /v1/chat/sessions/{id}}: any of a new title, a new model (before the first message), params. */
public record UpdateSessionRequest(String title, String model, JsonNode params) {
}
