package io.parley.chat.service;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A comparison as the API answers it: {@code models} in column order; {@code columns} only on create and
 * {@code GET /v1/chat/comparisons/{id}}.
 */
public record ComparisonView(UUID id, String title, String prompt, List<String> models, Instant createdAt,
        Instant updatedAt, @JsonInclude(JsonInclude.Include.NON_NULL) List<Column> columns) {

    /**
     * One column: an ordinary chat session ({@code session_id}) of {@code model}; {@code turn_id} is its answer's id
     * (stream it with {@code GET /v1/chat/sessions/{session_id}/turns/{turn_id}/events}, stop it with
     * {@code .../stop}), {@code status} that answer's status; {@code messages} the prompt and the answer.
     */
    public record Column(int position, UUID sessionId, String model, UUID turnId, String status,
            List<MessageView> messages) {
    }
}
