package io.parley.usage.model;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * Position after the last record of a page, for keyset paging on (timestamp, request_id) newest first. Callers see it
 * only as an opaque base64url string.
 */
public record Cursor(Instant timestamp, String requestId) {

    public String encode() {
        String raw = timestamp + "\n" + requestId;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes a cursor previously handed out; anything else is an {@link IllegalArgumentException}. */
    public static Cursor decode(String encoded) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8);
            int nl = raw.indexOf('\n');
            if (nl < 0) {
                throw new IllegalArgumentException("malformed cursor");
            }
            return new Cursor(Instant.parse(raw.substring(0, nl)), raw.substring(nl + 1));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new IllegalArgumentException("cursor is not one this service handed out", e);
        }
    }
}
