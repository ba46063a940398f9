package io.parley.proxy.service;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.contracts.Envelope;

/**
 * Per-call overrides (design §4 envelope): the JSON object of the {@code X-Parley-Overrides} request header, merged key by
 * key over the upstream chat-completions (or completions) body just before it is forwarded. The override wins; a
 * {@code null} value removes the key. Keys the proxy owns ({@link #PROTECTED}) are refused, as are values that are not a
 * JSON object or longer than {@link #MAX_LENGTH}.
 * <p>
 * Nothing of this runs when the header is absent: the route only looks the header up.
 */
public final class RequestOverrides {

    public static final String HEADER = Envelope.OVERRIDES_HEADER;
    /** Response header naming the keys that were applied, comma-separated. */
    public static final String APPLIED_HEADER = Envelope.OVERRIDES_APPLIED_HEADER;
    /** 16 KiB: header values are ISO-8859-1 on the wire, so one character is one byte. */
    public static final int MAX_LENGTH = Envelope.MAX_OVERRIDES_BYTES;
    public static final Set<String> PROTECTED = Envelope.PROTECTED_OVERRIDE_KEYS;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode overrides;

    private RequestOverrides(ObjectNode overrides) {
        this.overrides = overrides;
    }

    /**
     * Parses the header value.
     *
     * @throws ServiceError 400 {@code invalid_request_error} with {@code param = X-Parley-Overrides}
     */
    public static RequestOverrides parse(String header) {
        if (header.length() > MAX_LENGTH) {
            throw invalid(HEADER + " is longer than " + MAX_LENGTH + " bytes");
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(header);
        } catch (Exception e) {
            throw invalid(HEADER + " is not valid JSON");
        }
        if (!(parsed instanceof ObjectNode object)) {
            throw invalid(HEADER + " must be a JSON object");
        }
        TextHygiene.Finding nul = TextHygiene.firstNul(object, "");
        if (nul != null) {
            throw invalid(HEADER + (nul.path() == null ? "" : " " + nul.path()) + " " + nul.reason());
        }
        List<String> refused = new ArrayList<>();
        object.fieldNames().forEachRemaining(key -> {
            if (PROTECTED.contains(key)) {
                refused.add(key);
            }
        });
        if (!refused.isEmpty()) {
            throw invalid(HEADER + " may not set " + String.join(", ", refused) + " (owned by the proxy; protected keys: "
                    + "model, messages, prompt, input, stream, stream_options)");
        }
        return new RequestOverrides(object);
    }

    public boolean isEmpty() {
        return overrides.isEmpty();
    }

    /** The overridden key names, comma-separated, in the order given: the {@link #APPLIED_HEADER} value. */
    public String appliedKeys() {
        StringBuilder keys = new StringBuilder();
        overrides.fieldNames().forEachRemaining(key -> keys.append(keys.length() == 0 ? "" : ",").append(key));
        return keys.toString();
    }

    /** Shallow merge over the body that goes upstream: each key replaces the body's, a JSON {@code null} removes it. */
    public void applyTo(ObjectNode upstreamBody) {
        Iterator<Map.Entry<String, JsonNode>> fields = overrides.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isNull()) {
                upstreamBody.remove(field.getKey());
            } else {
                upstreamBody.set(field.getKey(), field.getValue().deepCopy());
            }
        }
    }

    private static ServiceError invalid(String message) {
        return ServiceError.badRequest(message, HEADER, "invalid_overrides");
    }
}
