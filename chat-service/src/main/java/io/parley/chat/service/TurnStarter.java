package io.parley.chat.service;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.client.ProxyRequest;
import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.AttachmentRow;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;
import io.parley.chat.repository.TurnRepository;
import io.quarkus.logging.Log;

/**
 * Starting a turn: validation, idempotency, the branch it continues, then (blocking) the session's one running turn is
 * claimed in the shared {@code chat_turns} (409 {@code turn_in_progress} while one runs on any replica), the user
 * message is stored (committed, with its envelope and attachments in one transaction), the assistant message as
 * {@code streaming}, and the {@link TurnRunner} calls the proxy with the user's token.
 */
@ApplicationScoped
public class TurnStarter {

    private final ChatRepository repository;
    private final TurnRepository turnRows;
    private final SessionService sessions;
    private final TurnInputValidator inputs;
    private final ParamsValidator params;
    private final CompletionRequestBuilder requests;
    private final TurnRunner runner;
    private final ReplicaIdentity replica;
    private final ChatConfig config;
    private final ObjectMapper mapper;
    private volatile boolean draining;

    public TurnStarter(ChatRepository repository, TurnRepository turnRows, SessionService sessions,
            TurnInputValidator inputs, ParamsValidator params, CompletionRequestBuilder requests, TurnRunner runner,
            ReplicaIdentity replica,
            ChatConfig config, ObjectMapper mapper) {
        this.repository = repository;
        this.turnRows = turnRows;
        this.sessions = sessions;
        this.inputs = inputs;
        this.params = params;
        this.requests = requests;
        this.runner = runner;
        this.replica = replica;
        this.config = config;
        this.mapper = mapper;
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
        boolean hasFiles = request.attachments() != null && request.attachments().isArray()
                && !request.attachments().isEmpty()
                || request.attachmentIds() != null && request.attachmentIds().isArray()
                        && !request.attachmentIds().isEmpty();
        TurnEnvelope envelope = inputs.forModel(inputs.envelope(request), request.endpointMode() != null,
                session.constraints(), session.modelName(), hasFiles);
        params.checkOverrides(envelope.overrides().orElse(null), session.params(), session.constraints());
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
        UUID turnId;
        try {
            turnId = claim(sessionId);
        } catch (ApiException e) {
            if (key != null && e.status() == 409) {
                // a concurrent request with the same key holds the turn
                Optional<UUID> existing = turnForKey(sessionId, key);
                if (existing.isPresent()) {
                    return existing.get();
                }
            }
            throw e;
        }
        try {
            return startClaimed(caller, session, sessionId, request, envelope, key, kept, attachments, copies, turnId);
        } catch (RuntimeException e) {
            release(turnId);
            throw e;
        }
    }

    private UUID startClaimed(Caller caller, SessionRow session, UUID sessionId, TurnRequest request,
            TurnEnvelope envelope, String key, List<AttachmentRow> kept, List<AttachmentRow> attachments,
            List<ChatRepository.AttachmentCopy> copies, UUID turnId) {
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
        SessionRow updated = new SessionRow(session.id(), session.ownerSub(), session.userId(),
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
                    release(turnId);
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
        return launch(caller, updated, CompletionRequestBuilder.branch(all, user.id()), user, known, turnId);
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
        Map<UUID, UUID> sessionsOf = repository.attachmentSessions(ids, caller.subject());
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
        // the stored overrides meet the session's params as they are now (they may have been lowered since)
        params.checkOverrides(TurnEnvelope.fromJson(user.envelope()).overrides().orElse(null), session.params(),
                session.constraints());
        UUID turnId = claim(sessionId);
        try {
            return launch(caller, session, CompletionRequestBuilder.branch(all, user.id()), user, Map.of(), turnId);
        } catch (RuntimeException e) {
            release(turnId);
            throw e;
        }
    }

    private void release(UUID turnId) {
        try {
            turnRows.release(turnId);
        } catch (RuntimeException e) {
            // the database is away: the claim's lease runs out and the sweep ends it
            Log.warnf("turn %s: claim not released (%s)", turnId, e.getMessage());
        }
    }

    /** Refuses new turns while this replica shuts down (the client retries on another one). */
    private void requireAccepting() {
        if (draining) {
            throw new ApiException(503, "server_error", "server_shutting_down", null,
                    "this server is shutting down: retry the turn");
        }
    }

    /**
     * Claims the session's one running turn (shared by all replicas through {@code chat_turns}): 409
     * {@code turn_in_progress} while another turn of the session runs anywhere.
     */
    private UUID claim(UUID sessionId) {
        requireAccepting();
        UUID turnId = UUID.randomUUID();
        if (!turnRows.claim(turnId, sessionId, replica.id(), config.turns().lease())) {
            throw ApiException.conflict("turn_in_progress", null,
                    "a turn is already running in this session: stop it or wait for it to end");
        }
        return turnId;
    }

    /**
     * Creates the assistant message (the turn's row is claimed already), publishes {@code message_start} and calls the
     * proxy with the envelope of the user message it answers and the attachments of every user message of the branch.
     */
    UUID launch(Caller caller, SessionRow session, List<MessageRow> branch, MessageRow userMessage,
            Map<UUID, List<AttachmentRow>> known, UUID turnId) {
        UUID userMessageId = userMessage.id();
        TurnEnvelope envelope = TurnEnvelope.fromJson(userMessage.envelope());
        List<UUID> userIds = branch.stream().filter(m -> MessageRow.USER.equals(m.role()))
                .map(MessageRow::id).filter(id -> !known.containsKey(id)).toList();
        Map<UUID, List<AttachmentRow>> files = new java.util.HashMap<>(repository.listAttachmentsWithData(userIds)
                .stream().collect(Collectors.groupingBy(AttachmentRow::messageId)));
        files.putAll(known);
        ProxyRequest request = requests.build(session, branch, caller.name(), envelope, files,
                CompletionRequestBuilder.AttachmentPayload.STORED);
        Instant now = Instant.now();
        repository.insertMessage(new MessageRow(turnId, session.id(), MessageRow.ASSISTANT, "",
                MessageRow.STREAMING, null, null, null, userMessageId, null, now, null));
        Turn turn = new Turn(turnId, session.id(), caller.name(), userMessageId, now);
        Log.infof("turn %s started in session %s by %s on replica %s (model %s, %s, correlation %s)", turn.id(),
                session.id(), caller.name(), replica.id(), session.modelName(), envelope.endpointMode().wireName(),
                request.correlationId());
        runner.run(turn, new TurnEvents.MessageStart(turnId, MessageRow.ASSISTANT, now.toString(), turnId,
                session.id(), userMessageId), request, caller.accessToken());
        return turn.id();
    }

    /** Stops accepting new turns (SIGTERM): they answer 503 {@code server_shutting_down}, to be retried elsewhere. */
    void drain() {
        draining = true;
    }

    boolean draining() {
        return draining;
    }

    private Optional<UUID> turnForKey(UUID sessionId, String key) {
        return repository.findByIdempotencyKey(sessionId, key)
                .flatMap(user -> repository.children(sessionId, user.id()).stream()
                        .filter(m -> MessageRow.ASSISTANT.equals(m.role())).findFirst())
                .map(MessageRow::id);
    }
}
