package io.parley.chat.service;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.client.EndpointMode;

/**
 * The playground's advanced options for one turn, stored on its user message: the proxy endpoint to call, the
 * correlation id (empty = the session id), metadata merged into the request's {@code metadata}, per-call
 * overrides sent as {@code X-Parley-Overrides}, and whether web search is on (each API's own field). Already
 * validated.
 */
public record TurnEnvelope(EndpointMode endpointMode, Optional<String> correlationId, Map<String, String> metadata,
        Optional<ObjectNode> overrides, boolean webSearch) {

    public static final TurnEnvelope DEFAULT = new TurnEnvelope(EndpointMode.CHAT_COMPLETIONS, Optional.empty(),
            Map.of(), Optional.empty(), false);

    public TurnEnvelope(EndpointMode endpointMode, Optional<String> correlationId, Map<String, String> metadata,
            Optional<ObjectNode> overrides) {
        this(endpointMode, correlationId, metadata, overrides, false);
    }

    /** The same envelope with another endpoint mode. */
    public TurnEnvelope withMode(EndpointMode mode) {
        return new TurnEnvelope(mode, correlationId, metadata, overrides, webSearch);
    }

    /** The correlation id sent as {@code X-Correlation-Id}: the given one, else the session id. */
    public String correlationIdOr(String sessionId) {
        return correlationId.orElse(sessionId);
    }

    /** The stored (and viewed) form: only what differs from the defaults; null when all defaults. */
    public ObjectNode toJson(ObjectMapper mapper) {
        if (equals(DEFAULT)) {
            return null;
        }
        ObjectNode out = mapper.createObjectNode();
        out.put("endpoint_mode", endpointMode.wireName());
        correlationId.ifPresent(c -> out.put("correlation_id", c));
        if (!metadata.isEmpty()) {
            ObjectNode m = out.putObject("metadata");
            metadata.forEach(m::put);
        }
        overrides.ifPresent(o -> out.set("overrides", o.deepCopy()));
        if (webSearch) {
            out.put("web_search", true);
        }
        return out;
    }

    /** Reads a stored envelope (null = defaults). */
    public static TurnEnvelope fromJson(JsonNode stored) {
        if (stored == null || !stored.isObject()) {
            return DEFAULT;
        }
        EndpointMode mode = EndpointMode.of(stored.path("endpoint_mode").asText(""))
                .orElse(EndpointMode.CHAT_COMPLETIONS);
        Optional<String> correlation = stored.hasNonNull("correlation_id")
                ? Optional.of(stored.get("correlation_id").asText())
                : Optional.empty();
        Map<String, String> metadata = new LinkedHashMap<>();
        stored.path("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
        Optional<ObjectNode> overrides = stored.get("overrides") instanceof ObjectNode o && !o.isEmpty()
                ? Optional.of(o)
                : Optional.empty();
        return new TurnEnvelope(mode, correlation, metadata, overrides, stored.path("web_search").asBoolean(false));
    }
}
