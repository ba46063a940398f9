package io.parley.chat.service;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.repository.PresetRepository;
import io.parley.chat.repository.PresetRepository.PresetRow;
import io.quarkus.logging.Log;

/**
 * Presets of one user (by the token's subject, like sessions; another user's id reads as not found): a name, the
 * parameters (system prompt included) by the rules of a session's params, and a turn envelope by the rules of a turn's
 * ({@code endpoint_mode}, {@code correlation_id}, {@code metadata}, {@code overrides}, {@code web_search}). A preset
 * belongs to no model: a chat created from it checks the params again against its model's limits.
 */
@ApplicationScoped
public class PresetService {

    static final int MAX_NAME = 100;
    static final int MAX_PRESETS = 200;

    /** A preset as the API answers it. */
    public record PresetView(UUID id, String name, JsonNode params, JsonNode envelope, Instant createdAt,
            Instant updatedAt) {
        static PresetView of(PresetRow p) {
            return new PresetView(p.id(), p.name(), p.params(), p.envelope(), p.createdAt(), p.updatedAt());
        }
    }

    /** Body of create and update ({@code PATCH}: only the fields given change). */
    public record PresetRequest(String name, JsonNode params, JsonNode envelope) {
    }

    private final PresetRepository repository;
    private final ParamsValidator params;
    private final TurnInputValidator inputs;
    private final ObjectMapper mapper;

    public PresetService(PresetRepository repository, ParamsValidator params, TurnInputValidator inputs,
            ObjectMapper mapper) {
        this.repository = repository;
        this.params = params;
        this.inputs = inputs;
        this.mapper = mapper;
    }

    public PresetView create(Caller caller, PresetRequest request) {
        if (request == null) {
            throw ApiException.badRequest(null, "request body is required");
        }
        String name = name(request.name());
        ObjectNode validated = params.validate(null, request.params(), null);
        JsonNode envelope = envelope(request.envelope(), validated);
        if (repository.list(caller.subject()).size() >= MAX_PRESETS) {
            throw ApiException.conflict("too_many_presets", null, "at most " + MAX_PRESETS + " presets per user");
        }
        Instant now = Instant.now();
        PresetRow row = new PresetRow(UUID.randomUUID(), caller.subject(), caller.name(), name, validated, envelope,
                now, now);
        if (!repository.insert(row)) {
            throw taken(name);
        }
        Log.infof("preset %s created by %s", row.id(), caller.name());
        return PresetView.of(row);
    }

    public List<PresetView> list(Caller caller) {
        return repository.list(caller.subject()).stream().map(PresetView::of).toList();
    }

    public PresetView get(Caller caller, UUID id) {
        return PresetView.of(require(caller, id));
    }

    public PresetView update(Caller caller, UUID id, PresetRequest request) {
        if (request == null) {
            throw ApiException.badRequest(null, "request body is required");
        }
        PresetRow p = require(caller, id);
        String name = request.name() != null ? name(request.name()) : p.name();
        // params replace the preset's (a preset is saved whole from the page), validated as a session's
        ObjectNode validated = request.params() != null ? params.validate(null, request.params(), null)
                : params.validate(null, p.params(), null);
        JsonNode envelope = request.envelope() != null ? envelope(request.envelope(), validated) : p.envelope();
        PresetRow updated = new PresetRow(p.id(), p.ownerSub(), p.userId(), name, validated, envelope, p.createdAt(),
                Instant.now());
        if (!repository.update(updated)) {
            throw taken(name);
        }
        return PresetView.of(updated);
    }

    public void delete(Caller caller, UUID id) {
        if (!repository.delete(id, caller.subject())) {
            throw ApiException.notFound("preset");
        }
    }

    private PresetRow require(Caller caller, UUID id) {
        return repository.find(id, caller.subject()).orElseThrow(() -> ApiException.notFound("preset"));
    }

    private static ApiException taken(String name) {
        return ApiException.conflict("preset_exists", "name", "a preset named '" + name + "' exists already");
    }

    private static String name(String name) {
        String n = name == null ? "" : name.strip();
        if (n.isEmpty() || n.length() > MAX_NAME) {
            throw ApiException.badRequest("name", "name must be 1 to " + MAX_NAME + " characters");
        }
        if (n.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.badRequest("name", "name must not contain control characters");
        }
        return n;
    }

    /** The envelope by a turn's rules (param names prefixed {@code envelope.}); null when all defaults. */
    private JsonNode envelope(JsonNode node, JsonNode validatedParams) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("envelope", "envelope must be an object");
        }
        for (var it = node.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!List.of("endpoint_mode", "correlation_id", "metadata", "overrides", "web_search").contains(key)) {
                throw ApiException.badRequest("envelope." + key, "unknown envelope field '" + key
                        + "' (known: endpoint_mode, correlation_id, metadata, overrides, web_search)");
            }
        }
        for (String key : List.of("endpoint_mode", "correlation_id")) {
            if (node.hasNonNull(key) && !node.get(key).isTextual()) {
                throw ApiException.badRequest("envelope." + key, "envelope." + key + " must be a string");
            }
        }
        try {
            TurnRequest turn = new TurnRequest("preset", null, null, null,
                    node.hasNonNull("endpoint_mode") ? node.get("endpoint_mode").asText() : null,
                    node.hasNonNull("correlation_id") ? node.get("correlation_id").asText() : null,
                    node.get("metadata"), node.get("overrides"), null, node.get("web_search"));
            TurnEnvelope envelope = inputs.envelope(turn);
            params.checkOverrides(envelope.overrides().orElse(null), validatedParams, null);
            return envelope.toJson(mapper);
        } catch (ApiException e) {
            String param = e.param() == null ? "envelope" : "envelope." + e.param();
            throw new ApiException(e.status(), e.type(), e.code(), param, e.getMessage());
        }
    }
}
