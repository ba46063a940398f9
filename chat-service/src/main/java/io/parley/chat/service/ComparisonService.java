package io.parley.chat.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.client.RegistryClient;
import io.parley.chat.repository.ComparisonRepository;
import io.parley.chat.repository.ComparisonRepository.ColumnRow;
import io.parley.chat.repository.ComparisonRepository.ComparisonRow;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;
import io.quarkus.logging.Log;

/**
 * Comparisons (ADR 0020): one prompt sent to 2 to 4 running models at once. Each column is an ordinary chat session of
 * its model, linked to the comparison and left out of the chat list, whose one turn runs through the same machinery
 * as any turn: streamed from the server with its server-side metrics, followed and stopped from any replica, resumed
 * after {@code Last-Event-ID}. "Continue with this one" forks a column (the prompt and its answer) into a normal chat;
 * the comparison stays in history until it is deleted (its columns with it).
 */
@ApplicationScoped
public class ComparisonService {

    static final int MIN_MODELS = 2;
    static final int MAX_MODELS = 4;

    private final ComparisonRepository repository;
    private final SessionService sessions;
    private final TurnService turns;
    private final RegistryClient registry;
    private final ParamsValidator params;
    private final TurnInputValidator inputs;
    private final ObjectMapper mapper;

    public ComparisonService(ComparisonRepository repository, SessionService sessions, TurnService turns,
            RegistryClient registry, ParamsValidator params, TurnInputValidator inputs, ObjectMapper mapper) {
        this.repository = repository;
        this.sessions = sessions;
        this.turns = turns;
        this.registry = registry;
        this.params = params;
        this.inputs = inputs;
        this.mapper = mapper;
    }

    /**
     * Checks everything first (nothing is stored when anything is refused), then stores the comparison with one
     * session per model in one transaction and starts each column's turn.
     */
    public ComparisonView create(Caller caller, CreateComparisonRequest request) {
        if (request == null) {
            throw ApiException.badRequest(null, "request body is required");
        }
        if (request.content() == null || request.content().isBlank()) {
            throw ApiException.badRequest("content", "content is required");
        }
        List<String> models = models(request.models());
        String title = SessionService.normalizeTitle(request.title());
        TurnRequest turn = request.turn();
        TurnEnvelope envelope = inputs.envelope(turn);
        requireRunning(models, caller);
        Instant now = Instant.now();
        List<SessionRow> columns = new ArrayList<>();
        String shownTitle = title != null ? title : SessionService.titleFrom(request.content());
        for (int i = 0; i < models.size(); i++) {
            String model = models.get(i);
            JsonNode constraints;
            ObjectNode validated;
            try {
                constraints = sessions.chatConstraints(model, caller);
                inputs.forModel(envelope, request.endpointMode() != null, constraints, model, false);
                validated = params.validate(null, request.params(), constraints);
                params.checkOverrides(envelope.overrides().orElse(null), validated, constraints);
            } catch (ApiException e) {
                throw new ApiException(e.status(), e.type(), e.code(), e.param() == null ? "models[" + i + "]"
                        : e.param(), "models[" + i + "] (" + model + "): " + e.getMessage());
            }
            String engineType = constraints.hasNonNull("engine_type") ? constraints.get("engine_type").asText() : null;
            columns.add(new SessionRow(UUID.randomUUID(), caller.subject(), caller.name(), shownTitle, model,
                    engineType, constraints, validated, now, now));
        }
        ComparisonRow row = new ComparisonRow(UUID.randomUUID(), caller.subject(), caller.name(), shownTitle,
                request.content(), now, now);
        repository.insert(row, columns);
        for (SessionRow column : columns) {
            turns.start(caller, column.id(), turn);
        }
        Log.infof("comparison %s started by %s: %s", row.id(), caller.name(), models);
        return view(caller, row);
    }

    /** The caller's comparisons, newest first, with their models. */
    public List<ComparisonView> list(Caller caller) {
        Map<UUID, List<String>> models = repository.models(caller.subject());
        return repository.list(caller.subject()).stream().map(c -> new ComparisonView(c.id(), c.title(), c.prompt(),
                models.getOrDefault(c.id(), List.of()), c.createdAt(), c.updatedAt(), null)).toList();
    }

    public ComparisonView get(Caller caller, UUID id) {
        return view(caller, require(caller, id));
    }

    public void delete(Caller caller, UUID id) {
        if (!repository.delete(id, caller.subject())) {
            throw ApiException.notFound("comparison");
        }
        Log.infof("comparison %s deleted by %s", id, caller.name());
    }

    /**
     * Stops every column still generating, wherever it runs: {@code {"columns":[{session_id, turn_id, stop_result,
     * status}]}} for each column ({@code stop_result} {@code stopped}, or {@code already_ended}).
     */
    public ObjectNode stopAll(Caller caller, UUID id) {
        require(caller, id);
        ObjectNode out = mapper.createObjectNode();
        ArrayNode results = out.putArray("columns");
        for (ColumnRow column : repository.columns(id, caller.subject())) {
            MessageRow answer = answer(caller, column.sessionId());
            ObjectNode r = results.addObject().put("session_id", column.sessionId().toString());
            if (answer == null) {
                r.putNull("turn_id").put("stop_result", TurnService.ALREADY_ENDED).putNull("status");
                continue;
            }
            r.put("turn_id", answer.id().toString());
            if (MessageRow.STREAMING.equals(answer.status())) {
                ObjectNode stopped = turns.stop(caller, column.sessionId(), answer.id());
                r.put("stop_result", stopped.path("stop_result").asText()).put("status",
                        stopped.path("status").asText());
            } else {
                r.put("stop_result", TurnService.ALREADY_ENDED).put("status", answer.status());
            }
        }
        return out;
    }

    /**
     * "Continue with this one": the column's prompt and answer become a new, normal chat of that model (a fork of the
     * column's session, titled like the comparison), which the caller goes on with; the comparison is kept. 400
     * {@code session_id} when it is not a column of this comparison; 409 {@code turn_in_progress} while its answer is
     * still generating.
     */
    public SessionView continueWith(Caller caller, UUID id, UUID sessionId) {
        ComparisonRow comparison = require(caller, id);
        if (sessionId == null) {
            throw ApiException.badRequest("session_id", "session_id is required: the column to continue with");
        }
        boolean column = repository.columns(id, caller.subject()).stream()
                .anyMatch(c -> c.sessionId().equals(sessionId));
        if (!column) {
            throw ApiException.badRequest("session_id", "session_id is not a column of this comparison");
        }
        MessageRow answer = answer(caller, sessionId);
        if (answer != null && MessageRow.STREAMING.equals(answer.status())) {
            throw ApiException.conflict("turn_in_progress", "session_id",
                    "this column's answer is still generating: stop it or wait for it to end");
        }
        SessionView chat = sessions.fork(caller, sessionId, new ForkRequest(null, null, comparison.title()));
        Log.infof("comparison %s: column %s continued as chat %s by %s", id, sessionId, chat.id(), caller.name());
        return chat;
    }

    private ComparisonRow require(Caller caller, UUID id) {
        return repository.find(id, caller.subject()).orElseThrow(() -> ApiException.notFound("comparison"));
    }

    private ComparisonView view(Caller caller, ComparisonRow c) {
        List<ComparisonView.Column> columns = new ArrayList<>();
        List<String> models = new ArrayList<>();
        for (ColumnRow column : repository.columns(c.id(), caller.subject())) {
            SessionView s = sessions.get(caller, column.sessionId());
            MessageView answer = null;
            for (MessageView m : s.messages()) {
                if (MessageRow.ASSISTANT.equals(m.role())) {
                    answer = m;
                }
            }
            columns.add(new ComparisonView.Column(column.position(), column.sessionId(), column.modelName(),
                    answer == null ? null : answer.id(), answer == null ? null : answer.status(), s.messages()));
            models.add(column.modelName());
        }
        return new ComparisonView(c.id(), c.title(), c.prompt(), models, c.createdAt(), c.updatedAt(), columns);
    }

    /** The newest assistant message of a column, or null. */
    private MessageRow answer(Caller caller, UUID sessionId) {
        sessions.require(caller, sessionId);
        MessageRow out = null;
        for (MessageRow m : sessions.messages(sessionId)) {
            if (MessageRow.ASSISTANT.equals(m.role())) {
                out = m;
            }
        }
        return out;
    }

    /** 2 to 4 distinct, non-blank model names. */
    private static List<String> models(JsonNode node) {
        if (node == null || !node.isArray() || node.size() < MIN_MODELS || node.size() > MAX_MODELS) {
            throw ApiException.badRequest("models", "models must be a list of " + MIN_MODELS + " to " + MAX_MODELS
                    + " model names");
        }
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (!m.isTextual() || m.asText().isBlank()) {
                throw ApiException.badRequest("models[" + i + "]", "models[" + i + "] must be a model name");
            }
            if (!seen.add(m.asText())) {
                throw ApiException.badRequest("models[" + i + "]", "models[" + i + "]: '" + m.asText()
                        + "' is listed twice");
            }
            out.add(m.asText());
        }
        return out;
    }

    /**
     * Every model must be running now (the registry's {@code /v1/models/running}): 409 {@code model_not_running}
     * with the registry's state and reason for one that is known but not running, 404 {@code model_not_found} for
     * one it does not know.
     */
    private void requireRunning(List<String> models, Caller caller) {
        Set<String> running = new HashSet<>();
        registry.runningModels(caller.accessToken()).forEach(m -> running.add(m.path("name").asText()));
        JsonNode all = null;
        for (int i = 0; i < models.size(); i++) {
            String model = models.get(i);
            if (running.contains(model)) {
                continue;
            }
            if (all == null) {
                all = registry.models(caller.accessToken());
            }
            String why = null;
            for (JsonNode entry : all) {
                if (model.equals(entry.path("name").asText())) {
                    why = entry.path("state").asText("not running")
                            + (entry.hasNonNull("reason") ? ": " + entry.get("reason").asText() : "");
                    break;
                }
            }
            if (why == null) {
                throw new ApiException(404, "invalid_request_error", "model_not_found", "models[" + i + "]",
                        "models[" + i + "]: model '" + model + "' not found");
            }
            throw ApiException.conflict("model_not_running", "models[" + i + "]",
                    "models[" + i + "]: model '" + model + "' is not running (" + why + ")");
        }
    }
}
