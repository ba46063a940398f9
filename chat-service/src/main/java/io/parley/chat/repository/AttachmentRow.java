package io.parley.chat.repository;

import java.time.Instant;
import java.util.UUID;

/**
 * One row of {@code chat_attachments}. {@code data} is null when only the metadata was read; the bytes never leave
 * through logs or message views.
 */
public record AttachmentRow(UUID id, UUID messageId, String name, String mimeType, long sizeBytes, String sha256,
        byte[] data, Instant createdAt) {

    public AttachmentRow withData(byte[] bytes) {
        return new AttachmentRow(id, messageId, name, mimeType, sizeBytes, sha256, bytes, createdAt);
    }

    @Override
    public String toString() {
        return "AttachmentRow[id=" + id + ", name=" + name + ", mime_type=" + mimeType + ", size_bytes=" + sizeBytes
                + "]";
    }
}
