package io.parley.chat.service;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.client.RegistryClient;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.SessionRow;
import io.quarkus.logging.Log;

/** Sessions of one caller: every lookup is scoped to the caller, another user's id reads as not found. */
@ApplicationScoped
public class SessionService {

    static final int MAX_TITLE = 200;

    private final ChatRepository repository;
    private final RegistryClient registry;
    private final ParamsValidator params;

    public SessionService(ChatRepository repository, RegistryClient registry, ParamsValidator params) {
        this.repository = repository;
        this.registry = registry;
        this.params = params;
    }

    public SessionView create(Caller caller, CreateSessionRequest request) {
        if (request == null) {
            throw ApiException.badRequest(null, "request body is required");
        }
        if (request.model() == null || request.model().isBlank()) {
            throw ApiException.badRequest("model", "model is required");
        }
        String title = normalizeTitle(request.title());
        JsonNode constraints = registry.constraints(request.model(), caller.accessToken())
                .orElseThrow(() -> new ApiException(404, "invalid_request_error", "model_not_found", "model",
                        "model '" + request.model() + "' not found"));
        ObjectNode validated = params.validate(null, request.params(), constraints);
        Instant now = Instant.now();
        String engineType = constraints.hasNonNull("engine_type") ? constraints.get("engine_type").asText() : null;
        SessionRow row = new SessionRow(UUID.randomUUID(), caller.user(), title, request.model(), engineType,
                constraints, validated, now, now);
        repository.insertSession(row);
        Log.infof("session %s created by %s for model %s", row.id(), caller.user(), row.modelName());
        return SessionView.of(row, null);
    }

    public List<SessionView> list(Caller caller) {
        return repository.listSessions(caller.user()).stream().map(s -> SessionView.of(s, null)).toList();
    }

    public SessionView get(Caller caller, UUID id) {
        SessionRow s = require(caller, id);
        return SessionView.of(s, repository.listMessages(id).stream().map(MessageView::of).toList());
    }

    /** The caller's session or 404. */
    public SessionRow require(Caller caller, UUID id) {
        return repository.findSession(id, caller.user()).orElseThrow(() -> ApiException.notFound("session"));
    }

    static String normalizeTitle(String title) {
        if (title == null) {
            return null;
        }
        String t = title.strip();
        if (t.length() > MAX_TITLE) {
            throw ApiException.badRequest("title", "title must be at most " + MAX_TITLE + " characters");
        }
        return t.isEmpty() ? null : t;
    }

    /** A title from the first user message: its first line, cut at a word near 60 characters. */
    static String titleFrom(String content) {
        String line = content.strip().lines().findFirst().orElse("").strip();
        if (line.length() <= 60) {
            return line.isEmpty() ? "New chat" : line;
        }
        int cut = line.lastIndexOf(' ', 60);
        return line.substring(0, cut > 20 ? cut : 60) + "…";
    }
}
