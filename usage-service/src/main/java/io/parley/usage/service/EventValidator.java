package io.parley.usage.service;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.usage.model.Attachment;
import io.parley.usage.model.UsageEvent;

/**
 * Turns one JSON event of an ingest batch into a {@link UsageEvent}, or explains why it cannot be stored. Each event is
 * judged alone so that one bad event never costs the good ones of its batch.
 */
@ApplicationScoped
public class EventValidator {

    static final Set<String> STATUSES = io.parley.contracts.UsageEvent.STATUSES;
    private static final int MAX_TEXT = 1024;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final ObjectMapper mapper;

    public EventValidator(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** Thrown for the first problem found in an event; the message is the reason given back to the caller. */
    static final class InvalidEvent extends Exception {
        InvalidEvent(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Validates one event; the exception's message is the rejection reason. */
    UsageEvent validate(JsonNode node) throws InvalidEvent {
        if (node == null || !node.isObject()) {
            throw new InvalidEvent("event must be a JSON object");
        }
        String nul = firstNul(node, "");
        if (nul != null) {
            // PostgreSQL's text and jsonb cannot hold U+0000: this event alone is refused, never its batch
            throw new InvalidEvent(nul + " holds a NUL character (U+0000), which cannot be stored");
        }
        String requestId = requiredText(node, "request_id");
        Instant timestamp = timestamp(node);
        String model = requiredText(node, "model");
        String status = requiredText(node, "status");
        if (!STATUSES.contains(status)) {
            throw new InvalidEvent(
                    "status must be one of ok, error, cancelled, client_disconnected, interrupted (was '" + status
                            + "')");
        }
        ObjectNode metadata = metadata(node);
        String source = optionalText(node, "source");
        JsonNode metaSource = metadata.get("source");
        if (source == null && metaSource != null && metaSource.isTextual() && !metaSource.textValue().isBlank()) {
            source = metaSource.textValue();
        }
        return new UsageEvent(
                requestId,
                timestamp,
                optionalText(node, "user_id"),
                optionalText(node, "user_sub"),
                optionalText(node, "org_id"),
                optionalText(node, "api_key_id"),
                model,
                optionalText(node, "engine_type"),
                optionalText(node, "deployment"),
                optionalText(node, "endpoint_kind"),
                bool(node, "stream"),
                count(node, "prompt_tokens"),
                count(node, "completion_tokens"),
                measure(node, "ttft_ms"),
                measure(node, "latency_ms"),
                measure(node, "tokens_per_sec"),
                status,
                optionalText(node, "error_type"),
                optionalText(node, "correlation_id"),
                metadata,
                source,
                attachments(node),
                bytes(node, "bytes_delivered"));
    }

    /** The path of the first string value or field name holding U+0000 ({@code metadata.k}), or {@code null}. */
    static String firstNul(JsonNode node, String path) {
        if (node.isTextual()) {
            return node.textValue().indexOf('\0') >= 0 ? (path.isEmpty() ? "event" : path) : null;
        }
        if (node.isObject()) {
            var fields = node.fields();
            while (fields.hasNext()) {
                var f = fields.next();
                String inner = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
                if (f.getKey().indexOf('\0') >= 0) {
                    return (path.isEmpty() ? "" : path + ".") + "a field name";
                }
                String found = firstNul(f.getValue(), inner);
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = firstNul(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static Long bytes(JsonNode node, String field) throws InvalidEvent {
        JsonNode value = node.get(field);
        if (absent(value)) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
            throw new InvalidEvent(field + " must be a non-negative integer");
        }
        return value.longValue();
    }

    private static boolean absent(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode();
    }

    private static String requiredText(JsonNode node, String field) throws InvalidEvent {
        String value = optionalText(node, field);
        if (value == null || value.isBlank()) {
            throw new InvalidEvent(field + " is required");
        }
        return value;
    }

    private static String optionalText(JsonNode node, String field) throws InvalidEvent {
        JsonNode value = node.get(field);
        if (absent(value)) {
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidEvent(field + " must be a string");
        }
        String text = value.textValue();
        if (text.isBlank()) {
            return null;
        }
        if (text.length() > MAX_TEXT) {
            throw new InvalidEvent(field + " is longer than " + MAX_TEXT + " characters");
        }
        return text;
    }

    private static Instant timestamp(JsonNode node) throws InvalidEvent {
        String text = requiredText(node, "timestamp");
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidEvent("timestamp must be an ISO-8601 date-time with offset, e.g. 2026-11-22T06:30:00.123Z");
        }
    }

    private static boolean bool(JsonNode node, String field) throws InvalidEvent {
        JsonNode value = node.get(field);
        if (absent(value)) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new InvalidEvent(field + " must be a boolean");
        }
        return value.booleanValue();
    }

    private static long count(JsonNode node, String field) throws InvalidEvent {
        JsonNode value = node.get(field);
        if (absent(value)) {
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 0) {
            throw new InvalidEvent(field + " must be a non-negative integer");
        }
        return value.intValue();
    }

    private static Double measure(JsonNode node, String field) throws InvalidEvent {
        JsonNode value = node.get(field);
        if (absent(value)) {
            return null;
        }
        if (!value.isNumber() || !Double.isFinite(value.doubleValue()) || value.doubleValue() < 0) {
            throw new InvalidEvent(field + " must be a non-negative number");
        }
        return value.doubleValue();
    }

    private ObjectNode metadata(JsonNode node) throws InvalidEvent {
        JsonNode value = node.get("metadata");
        if (absent(value)) {
            return mapper.createObjectNode();
        }
        if (!value.isObject()) {
            throw new InvalidEvent("metadata must be a JSON object");
        }
        return (ObjectNode) value;
    }

    private static List<Attachment> attachments(JsonNode node) throws InvalidEvent {
        JsonNode value = node.get("attachments");
        if (absent(value)) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new InvalidEvent("attachments must be an array");
        }
        List<Attachment> result = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            JsonNode a = value.get(i);
            String where = "attachments[" + i + "]";
            if (!a.isObject()) {
                throw new InvalidEvent(where + " must be an object");
            }
            JsonNode mime = a.get("mime_type");
            JsonNode size = a.get("size_bytes");
            JsonNode sha = a.get("sha256");
            if (absent(mime) || !mime.isTextual() || mime.textValue().isBlank()) {
                throw new InvalidEvent(where + ".mime_type is required");
            }
            if (absent(size) || !size.isIntegralNumber() || !size.canConvertToLong() || size.longValue() < 0) {
                throw new InvalidEvent(where + ".size_bytes must be a non-negative integer");
            }
            if (absent(sha) || !sha.isTextual() || !SHA256.matcher(sha.textValue()).matches()) {
                throw new InvalidEvent(where + ".sha256 must be 64 hex digits");
            }
            result.add(new Attachment(mime.textValue(), size.longValue(), sha.textValue().toLowerCase()));
        }
        return result;
    }
}
