package io.parley.chat.service;

import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Body of {@code POST /v1/chat/sessions/{id}/turns}: the user's {@code content}; optional {@code idempotency_key}
 * (a replay answers the same turn); optional {@code parent_id} (the message this turn continues from, default the
 * newest one); the envelope ({@code endpoint_mode}, {@code correlation_id}, {@code metadata}, {@code overrides}) and
 * {@code attachments} (data URLs) of docs/architecture.md "Turn envelope and attachments"; {@code attachment_ids}
 * (attachments already stored on messages of the same session, copied to the new user message: edit-and-resend keeps
 * the files of the edited message); {@code web_search} (true: the turn asks the model to search the web, through each
 * API's own field). Validated by
 * {@link TurnInputValidator}. {@link #toString()} leaves the attachments' bytes out (they never reach a log).
 */
public record TurnRequest(String content, JsonNode attachments, String idempotencyKey, UUID parentId,
        String endpointMode, String correlationId, JsonNode metadata, JsonNode overrides, JsonNode attachmentIds,
        JsonNode webSearch) {

    @Override
    public String toString() {
        int files = attachments != null && attachments.isArray() ? attachments.size() : 0;
        int kept = attachmentIds != null && attachmentIds.isArray() ? attachmentIds.size() : 0;
        return "TurnRequest[content=" + (content == null ? 0 : content.length()) + " chars, attachments=" + files
                + ", attachment_ids=" + kept + ", endpoint_mode=" + endpointMode + ", correlation_id=" + correlationId
                + ", web_search=" + webSearch + "]";
    }
}
