package io.parley.chat.repository;

import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One row of {@code chat_messages}. {@code envelope} (user messages only, null when all defaults) holds the turn's
 * {@code endpoint_mode}, {@code correlation_id}, {@code metadata}, {@code overrides} and {@code web_search}.
 * {@code reasoning} (assistant messages of reasoning models, else null) is the model's reasoning output, kept apart
 * from the answer.
 */
public record MessageRow(UUID id, UUID sessionId, String role, String content, String status, String error,
        JsonNode metrics, JsonNode usage, UUID parentId, String idempotencyKey, Instant createdAt, JsonNode envelope,
        String reasoning) {

    /** A message without reasoning output. */
    public MessageRow(UUID id, UUID sessionId, String role, String content, String status, String error,
            JsonNode metrics, JsonNode usage, UUID parentId, String idempotencyKey, Instant createdAt,
            JsonNode envelope) {
        this(id, sessionId, role, content, status, error, metrics, usage, parentId, idempotencyKey, createdAt, envelope,
                null);
    }

    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
    public static final String SYSTEM = "system";

    public static final String COMPLETE = "complete";
    public static final String STREAMING = "streaming";
    public static final String STOPPED = "stopped";
    public static final String ERROR = "error";
}
