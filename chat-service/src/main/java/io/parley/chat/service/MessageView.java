package io.parley.chat.service;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.chat.repository.AttachmentRow;
import io.parley.chat.repository.MessageRow;

/**
 * A message as the API answers it. {@code attachments} lists the files of a user message (metadata, never the bytes:
 * those are served by {@code GET /v1/chat/sessions/{id}/attachments/{attachmentId}}); {@code envelope} is the turn's
 * envelope ({@code null} when all defaults); {@code reasoning} the model's reasoning output of an answer
 * ({@code null} when it had none; its token count is {@code metrics.reasoning_tokens}).
 */
public record MessageView(UUID id, String role, String content, String status, String error, JsonNode metrics,
        JsonNode usage, UUID parentId, Instant createdAt, List<AttachmentView> attachments, JsonNode envelope,
        String reasoning) {

    /** An attachment as message views list it. */
    public record AttachmentView(UUID id, String name, String mimeType, long sizeBytes, String sha256) {
        public static AttachmentView of(AttachmentRow a) {
            return new AttachmentView(a.id(), a.name(), a.mimeType(), a.sizeBytes(), a.sha256());
        }
    }

    public static MessageView of(MessageRow m) {
        return of(m, List.of());
    }

    public static MessageView of(MessageRow m, List<AttachmentRow> attachments) {
        return new MessageView(m.id(), m.role(), m.content(), m.status(), m.error(), m.metrics(), m.usage(),
                m.parentId(), m.createdAt(), attachments.stream().map(AttachmentView::of).toList(), m.envelope(),
                m.reasoning());
    }
}
