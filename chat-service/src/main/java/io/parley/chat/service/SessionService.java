package io.parley.chat.service;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.client.RegistryClient;
import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.AttachmentRow;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.ComparisonRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;
import io.quarkus.logging.Log;

/** Sessions of one caller: every lookup is scoped to the caller, another user's id reads as not found. */
@ApplicationScoped
public class SessionService {

    static final int MAX_TITLE = 200;

    private final ChatRepository repository;
    private final ComparisonRepository comparisons;
    private final RegistryClient registry;
    private final ParamsValidator params;
    private final ChatConfig.Messages paging;

    public SessionService(ChatRepository repository, ComparisonRepository comparisons, RegistryClient registry,
            ParamsValidator params, ChatConfig config) {
        this.repository = repository;
        this.comparisons = comparisons;
        this.registry = registry;
        this.params = params;
        this.paging = config.chat().messages();
    }

    public SessionView create(Caller caller, CreateSessionRequest request) {
        if (request == null) {
            throw ApiException.badRequest(null, "request body is required");
        }
        if (request.model() == null || request.model().isBlank()) {
            throw ApiException.badRequest("model", "model is required");
        }
        String title = normalizeTitle(request.title());
        JsonNode constraints = chatConstraints(request.model(), caller);
        ObjectNode validated = params.validate(null, request.params(), constraints);
        Instant now = Instant.now();
        String engineType = constraints.hasNonNull("engine_type") ? constraints.get("engine_type").asText() : null;
        SessionRow row = new SessionRow(UUID.randomUUID(), caller.subject(), caller.name(), title, request.model(), engineType,
                constraints, validated, now, now);
        repository.insertSession(row);
        Log.infof("session %s created by %s for model %s", row.id(), caller.name(), row.modelName());
        return SessionView.of(row, null);
    }

    public List<SessionView> list(Caller caller) {
        return repository.listSessions(caller.subject()).stream().map(s -> SessionView.of(s, null)).toList();
    }

    /**
     * A session with the newest page of its messages ({@code parley.chat.messages.page-size}, by the order they were
     * stored) and {@code messages_page} saying how to read the older ones.
     */
    public SessionView get(Caller caller, UUID id) {
        SessionRow s = require(caller, id);
        return SessionView.withPage(s, page(id, null, paging.pageSize()));
    }

    /** A session with all its messages: an export is a file, not a page. */
    private SessionView everything(Caller caller, UUID id) {
        SessionRow s = require(caller, id);
        Map<UUID, List<AttachmentRow>> files = repository.listAttachmentMeta(id).stream()
                .collect(Collectors.groupingBy(AttachmentRow::messageId));
        return SessionView.of(s, repository.listMessages(id).stream()
                .map(m -> MessageView.of(m, files.getOrDefault(m.id(), List.of()))).toList());
    }

    /**
     * A page of a session's messages, oldest first: the newest {@code limit} stored before the message {@code before}
     * ({@code null}: up to the newest). 400 for a limit out of range or a cursor that is no message of this session.
     */
    public MessagePage messages(Caller caller, UUID id, UUID before, Integer limit) {
        require(caller, id);
        int size = limit == null ? paging.pageSize() : limit;
        if (size < 1 || size > paging.maxPageSize()) {
            throw ApiException.badRequest("limit", "limit must be between 1 and " + paging.maxPageSize());
        }
        return page(id, before, size);
    }

    private MessagePage page(UUID sessionId, UUID before, int limit) {
        Long beforeSeq = null;
        if (before != null) {
            beforeSeq = repository.messageSeq(sessionId, before)
                    .orElseThrow(() -> ApiException.badRequest("before", "before is not a message of this session"));
        }
        List<MessageRow> rows = repository.listMessagesPage(sessionId, beforeSeq, limit + 1);
        boolean hasMore = rows.size() > limit;
        List<MessageRow> page = hasMore ? rows.subList(1, rows.size()) : rows;
        Map<UUID, List<AttachmentRow>> files = repository.listAttachmentMeta(page.stream().map(MessageRow::id).toList())
                .stream().collect(Collectors.groupingBy(AttachmentRow::messageId));
        List<MessageView> views = page.stream().map(m -> MessageView.of(m, files.getOrDefault(m.id(), List.of())))
                .toList();
        return new MessagePage(views, hasMore, limit,
                hasMore ? MessagePage.nextUrl(sessionId, page.get(0).id(), limit) : null);
    }

    /** An attachment of one of the caller's sessions, with its bytes; another user's answers 404. */
    public AttachmentRow attachment(Caller caller, UUID sessionId, UUID attachmentId) {
        return repository.findAttachment(sessionId, attachmentId, caller.subject())
                .orElseThrow(() -> ApiException.notFound("attachment"));
    }

    public SessionView update(Caller caller, UUID id, UpdateSessionRequest request) {
        if (request == null) {
            throw ApiException.badRequest(null, "request body is required");
        }
        SessionRow s = require(caller, id);
        String title = request.title() != null ? normalizeTitle(request.title()) : s.title();
        String model = s.modelName();
        String engineType = s.engineType();
        JsonNode constraints = s.constraints();
        if (request.model() != null && !request.model().equals(s.modelName())) {
            if (request.model().isBlank()) {
                throw ApiException.badRequest("model", "model must not be blank");
            }
            if (repository.countMessages(id) > 0) {
                throw ApiException.conflict("model_locked", "model", "the model of a chat is locked once the first "
                        + "message is sent: start a new chat or fork this one to use '" + request.model() + "'");
            }
            constraints = chatConstraints(request.model(), caller);
            model = request.model();
            engineType = constraints.hasNonNull("engine_type") ? constraints.get("engine_type").asText() : null;
        }
        ObjectNode validated = params.validate(s.params(), request.params(), constraints);
        SessionRow updated = new SessionRow(s.id(), s.ownerSub(), s.userId(), title, model, engineType, constraints, validated,
                s.createdAt(), Instant.now());
        repository.updateSession(updated);
        return SessionView.of(updated, null);
    }

    public void delete(Caller caller, UUID id) {
        if (!repository.deleteSession(id, caller.subject())) {
            throw ApiException.notFound("session");
        }
        Log.infof("session %s deleted by %s", id, caller.name());
    }

    public int deleteAll(Caller caller) {
        int n = repository.deleteAllSessions(caller.subject());
        int c = comparisons.deleteAll(caller.subject());
        Log.infof("%d session(s) and %d comparison(s) of %s deleted", n, c, caller.name());
        n += c;
        return n;
    }

    /** Stores a message without generation (a user, assistant or system message typed or pasted in). */
    public MessageView addMessage(Caller caller, UUID id, AddMessageRequest request) {
        SessionRow s = require(caller, id);
        if (request == null || request.role() == null
                || !List.of(MessageRow.USER, MessageRow.ASSISTANT, MessageRow.SYSTEM).contains(request.role())) {
            throw ApiException.badRequest("role", "role must be one of user, assistant, system");
        }
        if (request.content() == null) {
            throw ApiException.badRequest("content", "content is required");
        }
        List<MessageRow> all = repository.listMessages(id);
        UUID parent = request.parentId();
        if (parent != null && all.stream().noneMatch(m -> m.id().equals(request.parentId()))) {
            throw ApiException.badRequest("parent_id", "parent_id is not a message of this session");
        }
        if (parent == null && !all.isEmpty()) {
            parent = all.get(all.size() - 1).id();
        }
        Instant now = Instant.now();
        MessageRow m = new MessageRow(UUID.randomUUID(), id, request.role(), request.content(), MessageRow.COMPLETE,
                null, null, null, parent, null, now, null);
        repository.insertMessage(m);
        String title = s.title() == null && MessageRow.USER.equals(m.role()) ? titleFrom(m.content()) : s.title();
        repository.updateSession(new SessionRow(s.id(), s.ownerSub(), s.userId(), title, s.modelName(), s.engineType(),
                s.constraints(), s.params(), s.createdAt(), now));
        return MessageView.of(m);
    }

    /** Copies the branch ending at a message into a new session of the caller (optionally another model). */
    public SessionView fork(Caller caller, UUID id, ForkRequest request) {
        SessionRow s = require(caller, id);
        ForkRequest r = request != null ? request : new ForkRequest(null, null, null);
        List<MessageRow> all = repository.listMessages(id);
        UUID leaf = r.messageId();
        if (leaf != null && all.stream().noneMatch(m -> m.id().equals(r.messageId()))) {
            throw ApiException.badRequest("message_id", "message_id is not a message of this session");
        }
        if (leaf == null && !all.isEmpty()) {
            leaf = all.get(all.size() - 1).id();
        }
        String model = s.modelName();
        String engineType = s.engineType();
        JsonNode constraints = s.constraints();
        if (r.model() != null && !r.model().equals(s.modelName())) {
            constraints = chatConstraints(r.model(), caller);
            model = r.model();
            engineType = constraints.hasNonNull("engine_type") ? constraints.get("engine_type").asText() : null;
        }
        // params carry over, checked against the (possibly new) model's limits
        ObjectNode validated = params.validate(null, s.params(), constraints);
        Instant now = Instant.now();
        String title = r.title() != null ? normalizeTitle(r.title())
                : (s.title() != null ? s.title() : "New chat") + " (fork)";
        SessionRow copy = new SessionRow(UUID.randomUUID(), caller.subject(), caller.name(), title, model, engineType,
                constraints,
                validated, now, now);
        repository.insertSession(copy);
        UUID parent = null;
        for (MessageRow m : leaf == null ? List.<MessageRow> of() : CompletionRequestBuilder.branch(all, leaf)) {
            if (MessageRow.STREAMING.equals(m.status())) {
                continue;
            }
            UUID newId = UUID.randomUUID();
            repository.insertMessage(new MessageRow(newId, copy.id(), m.role(), m.content(), m.status(), m.error(),
                    writtenBy(m, s.modelName()), m.usage(), parent, null, m.createdAt(), m.envelope(), m.reasoning()));
            repository.copyAttachments(m.id(), newId);
            parent = newId;
        }
        Log.infof("session %s forked into %s by %s (model %s)", id, copy.id(), caller.name(), model);
        return get(caller, copy.id());
    }

    /**
     * The metrics of a copied message, with {@code metrics.model} naming the model that wrote an answer: the one it
     * already names (a fork of a fork), else the model of the chat it is copied from. A chat continued with another
     * model thus shows each carried-over answer under its own model.
     */
    static JsonNode writtenBy(MessageRow m, String sourceModel) {
        if (!MessageRow.ASSISTANT.equals(m.role()) || sourceModel == null
                || (m.metrics() != null && m.metrics().hasNonNull("model"))) {
            return m.metrics();
        }
        ObjectNode metrics = m.metrics() instanceof ObjectNode o ? o.deepCopy()
                : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        return metrics.put("model", sourceModel);
    }

    /** The session as Markdown (its current branch) or JSON (the session with every message, not a page). */
    public String export(Caller caller, UUID id, String format, com.fasterxml.jackson.databind.ObjectMapper mapper) {
        SessionView view = everything(caller, id);
        if ("json".equals(format)) {
            try {
                return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(view);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!"markdown".equals(format)) {
            throw ApiException.badRequest("format", "format must be markdown or json");
        }
        List<MessageRow> all = repository.listMessages(id);
        List<MessageRow> branch = all.isEmpty() ? List.of()
                : CompletionRequestBuilder.branch(all, all.get(all.size() - 1).id());
        Map<UUID, MessageView> views = new java.util.HashMap<>();
        view.messages().forEach(v -> views.put(v.id(), v));
        StringBuilder md = new StringBuilder();
        md.append("# ").append(view.title() != null ? view.title() : "New chat").append("\n\n");
        md.append("Model: `").append(view.modelName()).append("` · Parameters: `").append(view.params())
                .append("`\n");
        for (MessageRow m : branch) {
            md.append("\n## ").append(Character.toUpperCase(m.role().charAt(0))).append(m.role().substring(1));
            if (!MessageRow.COMPLETE.equals(m.status())) {
                md.append(" (").append(m.status()).append(m.error() != null ? ": " + m.error() : "").append(')');
            }
            md.append("\n\n").append(m.content()).append('\n');
            MessageView v = views.get(m.id());
            if (v != null && !v.attachments().isEmpty()) {
                md.append('\n');
                for (MessageView.AttachmentView a : v.attachments()) {
                    md.append("- Attachment: `").append(a.name()).append("` (").append(a.mimeType()).append(", ")
                            .append(a.sizeBytes()).append(" bytes, sha256 `").append(a.sha256()).append("`)\n");
                }
            }
            if (m.envelope() != null) {
                md.append("\nEnvelope: `").append(m.envelope()).append("`\n");
            }
        }
        return md.toString();
    }

    /**
     * The registry's constraints of a model a chat can use: 404 {@code model_not_found} for an unknown model, 400
     * {@code model_not_chat} for an embedding model (task {@code embedding}: it answers {@code /v1/embeddings}, not
     * chat turns).
     */
    public JsonNode chatConstraints(String model, Caller caller) {
        JsonNode constraints = registry.constraints(model, caller.accessToken())
                .orElseThrow(() -> new ApiException(404, "invalid_request_error", "model_not_found", "model",
                        "model '" + model + "' not found"));
        if ("embedding".equals(constraints.path("task").asText())) {
            throw new ApiException(400, "invalid_request_error", "model_not_chat", "model", "model '" + model
                    + "' is an embedding model: it cannot be used for a chat");
        }
        return constraints;
    }

    /** The messages of a session (already checked to be the caller's), oldest first. */
    List<MessageRow> messages(UUID sessionId) {
        return repository.listMessages(sessionId);
    }

    /** The caller's session or 404. */
    public SessionRow require(Caller caller, UUID id) {
        return repository.findSession(id, caller.subject()).orElseThrow(() -> ApiException.notFound("session"));
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
