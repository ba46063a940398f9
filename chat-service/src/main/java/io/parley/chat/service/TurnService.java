package io.parley.chat.service;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.client.ProxyClient;
import io.parley.chat.client.ProxyRequest;
import io.parley.chat.client.ProxyStreamListener;
import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.AttachmentRow;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.vertx.core.Vertx;

/**
 * Runs turns. A turn belongs to this service, not to the HTTP request that started it: the user message is stored
 * (committed, with its envelope and attachments in one transaction) first, then the assistant message as {@code streaming},
 * then the proxy is called with the user's
 * token; deltas go into the turn's event log and to whoever follows it. The end (complete, error or stop) is
 * persisted before {@code message_end} is sent, so a reload after {@code message_end} sees the final message.
 */
@ApplicationScoped
public class TurnService {

    private final ChatRepository repository;
    private final SessionService sessions;
    private final TurnInputValidator inputs;
    private final CompletionRequestBuilder requests;
    private final ProxyClient proxy;
    private final ChatConfig config;
    private final ObjectMapper mapper;
    private final Vertx vertx;

    private final Map<UUID, Turn> turns = new ConcurrentHashMap<>();
    private final Map<UUID, CompletableFuture<Void>> finished = new ConcurrentHashMap<>();

    public TurnService(ChatRepository repository, SessionService sessions, TurnInputValidator inputs,
            CompletionRequestBuilder requests, ProxyClient proxy, ChatConfig config, ObjectMapper mapper, Vertx vertx) {
        this.repository = repository;
        this.sessions = sessions;
        this.inputs = inputs;
        this.requests = requests;
        this.proxy = proxy;
        this.config = config;
        this.mapper = mapper;
        this.vertx = vertx;
    }

    /**
     * Starts a turn (blocking: stores the user and assistant messages) and returns its id. With an idempotency key
     * already used in this session, returns the id of the turn that key started, and starts nothing.
     */
    public UUID start(Caller caller, UUID sessionId, TurnRequest request) {
        return start(caller, sessionId, request, List.of());
    }

    /**
     * As {@link #start(Caller, UUID, TurnRequest)}, with attachment payloads already decoded from the raw body
     * (data URLs {@code data:<type>;base64,#<index>}).
     */
    public UUID start(Caller caller, UUID sessionId, TurnRequest request, List<byte[]> payloads) {
        SessionRow session = sessions.require(caller, sessionId);
        if (request == null || request.content() == null || request.content().isBlank()) {
            throw ApiException.badRequest("content", "content is required");
        }
        TurnEnvelope envelope = inputs.envelope(request);
        String key = request.idempotencyKey();
        if (key != null && (key.isBlank() || key.length() > 200)) {
            throw ApiException.badRequest("idempotency_key", "idempotency_key must be 1 to 200 characters");
        }
        if (key != null) {
            Optional<UUID> existing = turnForKey(sessionId, key);
            if (existing.isPresent()) {
                Log.infof("turn %s replayed for idempotency key in session %s", existing.get(), sessionId);
                return existing.get();
            }
        }
        List<AttachmentRow> kept = keptAttachments(caller, sessionId, inputs.attachmentIds(request.attachmentIds()));
        List<AttachmentRow> attachments = inputs.attachments(request.attachments(), payloads, kept);
        List<ChatRepository.AttachmentCopy> copies = kept.stream()
                .map(k -> new ChatRepository.AttachmentCopy(k.id(), UUID.randomUUID())).toList();
        requireNoRunningTurn(sessionId);
        List<MessageRow> all = repository.listMessages(sessionId);
        UUID parent;
        if (request.parentId() != null) {
            if (all.stream().noneMatch(m -> m.id().equals(request.parentId()))) {
                throw ApiException.badRequest("parent_id", "parent_id is not a message of this session");
            }
            parent = request.parentId();
        } else {
            parent = all.isEmpty() ? null : all.get(all.size() - 1).id();
        }

        Instant now = Instant.now();
        MessageRow user = new MessageRow(UUID.randomUUID(), sessionId, MessageRow.USER, request.content(),
                MessageRow.COMPLETE, null, null, null, parent, key, now, envelope.toJson(mapper));
        SessionRow updated = new SessionRow(session.id(), session.userId(),
                session.title() == null ? SessionService.titleFrom(request.content()) : session.title(),
                session.modelName(), session.engineType(), session.constraints(), session.params(),
                session.createdAt(), now);
        try {
            // the message, its envelope and its files together, or nothing
            repository.insertUserMessage(user, copies, attachments, updated);
        } catch (ChatRepository.AttachmentGoneException e) {
            throw ApiException.badRequest("attachment_ids", "an attachment of attachment_ids was deleted meanwhile");
        } catch (IllegalStateException e) {
            if (key != null) {
                // a concurrent request with the same key won the insert
                Optional<UUID> existing = turnForKey(sessionId, key);
                if (existing.isPresent()) {
                    return existing.get();
                }
            }
            throw e;
        }
        if (!attachments.isEmpty() || !kept.isEmpty()) {
            Log.infof("session %s: user message %s stored with %d attachment(s) (%d kept from earlier messages), "
                    + "%d bytes", sessionId, user.id(), kept.size() + attachments.size(), kept.size(),
                    kept.stream().mapToLong(AttachmentRow::sizeBytes).sum()
                            + attachments.stream().mapToLong(AttachmentRow::sizeBytes).sum());
        }

        all = new java.util.ArrayList<>(all);
        all.add(user);
        // this message's new files are in memory already: not read back from the database (the kept copies are)
        List<AttachmentRow> files = new java.util.ArrayList<>(
                repository.listAttachmentsWithDataById(copies.stream().map(ChatRepository.AttachmentCopy::to).toList()));
        files.addAll(attachments);
        Map<UUID, List<AttachmentRow>> known = files.isEmpty() ? Map.of() : Map.of(user.id(), files);
        return launch(caller, updated, CompletionRequestBuilder.branch(all, user.id()), user, known);
    }

    /**
     * The stored attachments {@code ids} name, to be copied to the new user message (edit-and-resend keeps the files):
     * each must be an attachment of this session, 400 naming {@code attachment_ids} for one of the caller's other
     * chats, 404 for an id the caller does not own (another user's reads exactly like one that does not exist). The
     * answer is the stored rows (metadata only), in the order of {@code ids}.
     */
    private List<AttachmentRow> keptAttachments(Caller caller, UUID sessionId, List<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<UUID, UUID> sessionsOf = repository.attachmentSessions(ids, caller.user());
        Map<UUID, AttachmentRow> here = repository.listAttachmentMeta(sessionId).stream()
                .collect(Collectors.toMap(AttachmentRow::id, a -> a));
        List<AttachmentRow> out = new java.util.ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            UUID id = ids.get(i);
            UUID owner = sessionsOf.get(id);
            if (owner == null) {
                throw new ApiException(404, "invalid_request_error", "attachment_not_found", "attachment_ids",
                        "attachment_ids[" + i + "]: attachment not found");
            }
            AttachmentRow a = here.get(id);
            if (a == null || !owner.equals(sessionId)) {
                throw ApiException.badRequest("attachment_ids", "attachment_ids[" + i + "] is an attachment of "
                        + "another chat: only this chat's attachments can be kept");
            }
            out.add(a);
        }
        return out;
    }

    /**
     * Regenerates an answer: a new assistant message for the same user message (the earlier answers stay, as
     * siblings with the same {@code parent_id}), with the envelope and attachments of that user message.
     * {@code messageId} is the answer to replace or its user message.
     */
    public UUID regenerate(Caller caller, UUID sessionId, UUID messageId) {
        SessionRow session = sessions.require(caller, sessionId);
        List<MessageRow> all = repository.listMessages(sessionId);
        MessageRow m = all.stream().filter(x -> x.id().equals(messageId)).findFirst()
                .orElseThrow(() -> ApiException.notFound("message"));
        MessageRow user = MessageRow.USER.equals(m.role()) ? m
                : all.stream().filter(x -> x.id().equals(m.parentId()) && MessageRow.USER.equals(x.role()))
                        .findFirst()
                        .orElseThrow(() -> ApiException.badRequest("message_id", "this message has no user message "
                                + "to answer again"));
        requireNoRunningTurn(sessionId);
        return launch(caller, session, CompletionRequestBuilder.branch(all, user.id()), user, Map.of());
    }

    private void requireNoRunningTurn(UUID sessionId) {
        if (turns.values().stream().anyMatch(t -> t.sessionId().equals(sessionId) && !t.ending())) {
            throw ApiException.conflict("turn_in_progress", null,
                    "a turn is already running in this session: stop it or wait for it to end");
        }
    }

    /**
     * Creates the assistant message, emits {@code message_start} and calls the proxy with the envelope of the user
     * message it answers and the attachments of every user message of the branch.
     */
    UUID launch(Caller caller, SessionRow session, List<MessageRow> branch, MessageRow userMessage,
            Map<UUID, List<AttachmentRow>> known) {
        UUID userMessageId = userMessage.id();
        TurnEnvelope envelope = TurnEnvelope.fromJson(userMessage.envelope());
        List<UUID> userIds = branch.stream().filter(m -> MessageRow.USER.equals(m.role()))
                .map(MessageRow::id).filter(id -> !known.containsKey(id)).toList();
        Map<UUID, List<AttachmentRow>> files = new java.util.HashMap<>(repository.listAttachmentsWithData(userIds)
                .stream().collect(Collectors.groupingBy(AttachmentRow::messageId)));
        files.putAll(known);
        ProxyRequest request = requests.build(session, branch, caller.user(), envelope, files,
                CompletionRequestBuilder.AttachmentPayload.STORED);
        Instant now = Instant.now();
        UUID assistantId = UUID.randomUUID();
        repository.insertMessage(new MessageRow(assistantId, session.id(), MessageRow.ASSISTANT, "",
                MessageRow.STREAMING, null, null, null, userMessageId, null, now, null));
        Turn turn = new Turn(assistantId, session.id(), caller.user(), userMessageId, now);
        turns.put(turn.id(), turn);
        finished.put(turn.id(), new CompletableFuture<>());
        ObjectNode start = mapper.createObjectNode();
        start.put("id", turn.id().toString());
        start.put("role", MessageRow.ASSISTANT);
        start.put("created_at", now.toString());
        start.put("turn_id", turn.id().toString());
        start.put("session_id", session.id().toString());
        start.put("parent_id", userMessageId.toString());
        turn.emit(TurnEvent.MESSAGE_START, start);

        Log.infof("turn %s started in session %s by %s (model %s, %s, correlation %s)", turn.id(), session.id(),
                caller.user(), session.modelName(), envelope.endpointMode().wireName(), request.correlationId());
        long timer = vertx.setTimer(config.turns().maxDuration().toMillis(),
                t -> end(turn, MessageRow.ERROR, "turn_timeout", "generation exceeded the maximum turn duration"));
        turn.upstream(proxy.stream(request, caller.accessToken(), new ProxyStreamListener() {
            @Override
            public void onDelta(String content) {
                if (turn.appendDelta(content)) {
                    ObjectNode delta = mapper.createObjectNode();
                    delta.put("id", turn.id().toString());
                    delta.put("content", content);
                    turn.emit(TurnEvent.DELTA, delta);
                }
            }

            @Override
            public void onUsage(JsonNode usage) {
                turn.usage(usage);
            }

            @Override
            public void onComplete() {
                vertx.cancelTimer(timer);
                end(turn, MessageRow.COMPLETE, null, null);
            }

            @Override
            public void onError(String code, String message) {
                vertx.cancelTimer(timer);
                end(turn, MessageRow.ERROR, code, message);
            }
        }));
        return turn.id();
    }

    /** Stops a running turn: cancels the upstream call and stores the partial answer as {@code stopped}. */
    public MessageView stop(Caller caller, UUID sessionId, UUID turnId) {
        sessions.require(caller, sessionId);
        Turn turn = turns.get(turnId);
        if (turn != null && turn.sessionId().equals(sessionId)) {
            end(turn, MessageRow.STOPPED, null, null);
            try {
                finished.get(turnId).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                Log.warnf("turn %s: stop did not finish persisting in time: %s", turnId, e.getMessage());
            }
        }
        return repository.findMessage(sessionId, turnId)
                .filter(m -> MessageRow.ASSISTANT.equals(m.role()))
                .map(MessageView::of)
                .orElseThrow(() -> ApiException.notFound("turn"));
    }

    /**
     * The turn's events after {@code lastEventId}: replayed from memory and followed live while the turn runs; for a
     * turn that is no longer in memory, synthesized from the stored message ({@code message_end} carries the whole
     * content, so a client that resumes late still ends with the full answer).
     */
    public Multi<TurnEvent> events(Caller caller, UUID sessionId, UUID turnId, long lastEventId) {
        sessions.require(caller, sessionId);
        Turn turn = turns.get(turnId);
        if (turn != null && turn.sessionId().equals(sessionId)) {
            return turn.events(lastEventId);
        }
        MessageRow m = repository.findMessage(sessionId, turnId)
                .filter(x -> MessageRow.ASSISTANT.equals(x.role()))
                .orElseThrow(() -> ApiException.notFound("turn"));
        return Multi.createFrom().iterable(storedEvents(m, lastEventId));
    }

    /** Waits until the turn has ended and its message is stored (non-streaming fallback). */
    public MessageView await(Caller caller, UUID sessionId, UUID turnId, Duration timeout) {
        CompletableFuture<Void> done = finished.get(turnId);
        if (done != null) {
            try {
                done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw ApiException.upstream(504, "timeout", "the turn did not finish in time");
            }
        }
        sessions.require(caller, sessionId);
        return repository.findMessage(sessionId, turnId).map(MessageView::of)
                .orElseThrow(() -> ApiException.notFound("turn"));
    }

    private List<TurnEvent> storedEvents(MessageRow m, long lastEventId) {
        List<TurnEvent> out = new java.util.ArrayList<>();
        long seq = 0;
        ObjectNode start = mapper.createObjectNode();
        start.put("id", m.id().toString());
        start.put("role", m.role());
        start.put("created_at", m.createdAt().toString());
        start.put("turn_id", m.id().toString());
        start.put("session_id", m.sessionId().toString());
        start.put("parent_id", m.parentId() != null ? m.parentId().toString() : null);
        out.add(new TurnEvent(++seq, TurnEvent.MESSAGE_START, start));
        if (MessageRow.STREAMING.equals(m.status())) {
            // running on another instance, or orphaned: nothing more is known here
            return out.stream().filter(e -> e.seq() > lastEventId).toList();
        }
        if (!m.content().isEmpty() && lastEventId == 0) {
            out.add(new TurnEvent(++seq, TurnEvent.DELTA, mapper.createObjectNode().put("id", m.id().toString())
                    .put("content", m.content())));
        }
        if (MessageRow.ERROR.equals(m.status())) {
            out.add(new TurnEvent(++seq, TurnEvent.ERROR, errorData(m.id(), "upstream_error", m.error())));
        }
        out.add(new TurnEvent(++seq, TurnEvent.MESSAGE_END, endData(m.id(), m.content(), m.usage(), m.metrics(),
                m.status(), m.error())));
        return lastEventId == 0 ? out : out.subList(out.size() - 1, out.size());
    }

    /** Ends a turn once (first caller wins), persists it, then sends {@code error?}, {@code metrics}, {@code message_end}. */
    void end(Turn turn, String status, String errorCode, String errorMessage) {
        if (!turn.beginEnd(status)) {
            return;
        }
        if (!MessageRow.COMPLETE.equals(status)) {
            ProxyClient.Call call = turn.upstream();
            if (call != null) {
                call.cancel();
            }
        }
        String content = turn.content();
        JsonNode usage = turn.usage();
        ObjectNode metrics = metrics(turn, usage);
        String error = errorMessage;
        vertx.executeBlocking(() -> {
            repository.finishMessage(turn.id(), content, status, error, metrics, usage);
            repository.touchSession(turn.sessionId(), Instant.now());
            return null;
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                Log.errorf(ar.cause(), "turn %s: could not store the assistant message", turn.id());
            }
            turn.emit(TurnEvent.METRICS, metrics);
            if (MessageRow.ERROR.equals(status)) {
                turn.emit(TurnEvent.ERROR, errorData(turn.id(), errorCode, error));
            }
            turn.emit(TurnEvent.MESSAGE_END, endData(turn.id(), content, usage, metrics, status, error));
            turn.close();
            finished.get(turn.id()).complete(null);
            Log.infof("turn %s ended: %s, %d chars%s", turn.id(), status, content.length(),
                    error != null ? " (" + error + ")" : "");
        });
    }

    /**
     * Message metrics. Server truth from the proxy's usage extras when present ({@code time_to_first_token},
     * {@code total_latency} in seconds, {@code completion_tokens_after_first_per_sec}); otherwise (a stopped or failed
     * turn has no usage chunk) as measured here.
     */
    ObjectNode metrics(Turn turn, JsonNode usage) {
        long now = System.nanoTime();
        ObjectNode m = mapper.createObjectNode();
        JsonNode u = usage != null ? usage : mapper.createObjectNode();
        long first = turn.firstDeltaNanos();
        if (u.path("time_to_first_token").isNumber()) {
            m.put("ttft_ms", round(u.get("time_to_first_token").asDouble() * 1000));
        } else if (first != 0) {
            m.put("ttft_ms", round((first - turn.startedNanos()) / 1e6));
        } else {
            m.putNull("ttft_ms");
        }
        if (u.path("total_latency").isNumber()) {
            m.put("latency_ms", round(u.get("total_latency").asDouble() * 1000));
        } else {
            m.put("latency_ms", round((now - turn.startedNanos()) / 1e6));
        }
        Integer completion = u.path("completion_tokens").isNumber() ? u.get("completion_tokens").asInt() : null;
        if (u.path("completion_tokens_after_first_per_sec").isNumber()) {
            m.put("tokens_per_sec", round(u.get("completion_tokens_after_first_per_sec").asDouble()));
        } else if (completion != null && completion > 1 && first != 0 && now > first) {
            m.put("tokens_per_sec", round((completion - 1) / ((now - first) / 1e9)));
        } else {
            m.putNull("tokens_per_sec");
        }
        if (u.path("prompt_tokens").isNumber()) {
            m.put("prompt_tokens", u.get("prompt_tokens").asInt());
        } else {
            m.putNull("prompt_tokens");
        }
        if (completion != null) {
            m.put("completion_tokens", completion);
        } else {
            m.putNull("completion_tokens");
        }
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 10.0) / 10.0;
    }

    private ObjectNode endData(UUID id, String content, JsonNode usage, JsonNode metrics, String status,
            String error) {
        ObjectNode end = mapper.createObjectNode();
        end.put("id", id.toString());
        end.put("content", content);
        end.set("usage", usage);
        end.set("metrics", metrics);
        end.put("status", status);
        end.put("error", error);
        return end;
    }

    private ObjectNode errorData(UUID id, String type, String message) {
        ObjectNode e = mapper.createObjectNode();
        e.put("id", id.toString());
        e.put("message", message);
        e.put("type", type != null ? type : "upstream_error");
        return e;
    }

    private Optional<UUID> turnForKey(UUID sessionId, String key) {
        return repository.findByIdempotencyKey(sessionId, key)
                .flatMap(user -> repository.children(sessionId, user.id()).stream()
                        .filter(m -> MessageRow.ASSISTANT.equals(m.role())).findFirst())
                .map(MessageRow::id);
    }

    /** Writes the partial text of running turns, so a crash of this instance keeps what was generated so far. */
    @Scheduled(every = "${parley.turns.flush-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flushPartials() {
        for (Turn turn : turns.values()) {
            String content = turn.unflushedContent();
            if (content != null) {
                repository.savePartial(turn.id(), content);
            }
        }
    }

    /** On shutdown, running turns end as errors with their partial text stored (a rolling update loses nothing). */
    void onShutdown(@Observes ShutdownEvent event) {
        List<Turn> running = turns.values().stream().filter(t -> !t.ending()).toList();
        for (Turn turn : running) {
            end(turn, MessageRow.ERROR, "interrupted", "generation was interrupted: chat-service shut down");
        }
        for (Turn turn : running) {
            try {
                finished.get(turn.id()).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                Log.warnf("turn %s: not stored before shutdown: %s", turn.id(), e.getMessage());
            }
        }
    }

    /** Forgets finished turns after the retention time (the database answers for them), and fails orphans. */
    @Scheduled(every = "60s", delayed = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        Instant cutoff = Instant.now().minus(config.turns().retention());
        turns.values().removeIf(t -> {
            boolean old = t.ended() && t.endedAt() != null && t.endedAt().isBefore(cutoff);
            if (old) {
                finished.remove(t.id());
            }
            return old;
        });
        int orphans = repository.failOrphanedStreaming(
                "generation was interrupted (chat-service restarted)", config.turns().maxDuration().multipliedBy(2));
        if (orphans > 0) {
            Log.warnf("marked %d interrupted assistant message(s) as error", orphans);
        }
    }
}
