package io.parley.usage.model;

/** Audit of one attachment of a call: never the bytes, only what identifies them. */
public record Attachment(String mimeType, long sizeBytes, String sha256) {
}
