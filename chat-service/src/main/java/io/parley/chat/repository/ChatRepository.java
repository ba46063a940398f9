package io.parley.chat.repository;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Plain JDBC access to {@code chat_sessions} and {@code chat_messages}. Every session query takes the owner so that a
 * foreign id reads as absent. Blocking: call from worker threads only.
 */
@ApplicationScoped
public class ChatRepository {

    private static final String SESSION_COLUMNS = "id, owner_sub, user_id, title, model_name, engine_type, constraints_json, "
            + "params_json, created_at, updated_at";
    private static final String MESSAGE_COLUMNS = "id, session_id, role, content, status, error, metrics_json, "
            + "usage_json, parent_id, idempotency_key, created_at, envelope_json, reasoning";
    private static final String ATTACHMENT_META = "a.id, a.message_id, a.name, a.mime_type, a.size_bytes, a.sha256, "
            + "a.created_at";

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public ChatRepository(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    // ---- sessions ----

    public void insertSession(SessionRow s) {
        update("INSERT INTO chat_sessions (" + SESSION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)",
                s.id(), s.ownerSub(), s.userId(), s.title(), s.modelName(), s.engineType(), json(s.constraints()),
                json(s.params()),
                ts(s.createdAt()), ts(s.updatedAt()));
    }

    public List<SessionRow> listSessions(String ownerSub) {
        // the columns of comparisons are listed with their comparison, not as chats
        return query("SELECT " + SESSION_COLUMNS + " FROM chat_sessions WHERE owner_sub = ? AND comparison_id IS NULL "
                + "ORDER BY updated_at DESC, created_at DESC", this::session, ownerSub);
    }

    public Optional<SessionRow> findSession(UUID id, String ownerSub) {
        return query("SELECT " + SESSION_COLUMNS + " FROM chat_sessions WHERE id = ? AND owner_sub = ?", this::session,
                id, ownerSub).stream().findFirst();
    }

    public void updateSession(SessionRow s) {
        update("UPDATE chat_sessions SET title = ?, model_name = ?, engine_type = ?, constraints_json = ?::jsonb, "
                + "params_json = ?::jsonb, updated_at = ? WHERE id = ? AND owner_sub = ?", s.title(), s.modelName(),
                s.engineType(), json(s.constraints()), json(s.params()), ts(s.updatedAt()), s.id(), s.ownerSub());
    }

    public void touchSession(UUID id, Instant at) {
        update("UPDATE chat_sessions SET updated_at = ? WHERE id = ?", ts(at), id);
    }

    public boolean deleteSession(UUID id, String ownerSub) {
        return update("DELETE FROM chat_sessions WHERE id = ? AND owner_sub = ?", id, ownerSub) > 0;
    }

    public int deleteAllSessions(String ownerSub) {
        return update("DELETE FROM chat_sessions WHERE owner_sub = ? AND comparison_id IS NULL", ownerSub);
    }

    // ---- messages ----

    private static final String INSERT_MESSAGE = "INSERT INTO chat_messages (" + MESSAGE_COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?::jsonb, ?)";
    private static final String INSERT_ATTACHMENT = "INSERT INTO chat_attachments (id, message_id, name, mime_type, "
            + "size_bytes, sha256, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

    /** Copies one attachment of the same session (its bytes included) to a message, under a new id. */
    private static final String COPY_ATTACHMENT = "INSERT INTO chat_attachments (id, message_id, name, mime_type, "
            + "size_bytes, sha256, data, created_at) SELECT ?, ?, a.name, a.mime_type, a.size_bytes, a.sha256, a.data, ? "
            + "FROM chat_attachments a JOIN chat_messages m ON m.id = a.message_id WHERE a.id = ? AND m.session_id = ?";

    /** A stored attachment to copy ({@code from}) and the id of its copy ({@code to}). */
    public record AttachmentCopy(UUID from, UUID to) {
    }

    /** A stored attachment to copy was deleted before the copy was committed. */
    public static final class AttachmentGoneException extends RuntimeException {
        private final UUID id;

        AttachmentGoneException(UUID id) {
            super("attachment " + id + " no longer exists");
            this.id = id;
        }

        public UUID id() {
            return id;
        }
    }

    public void insertMessage(MessageRow m) {
        update(INSERT_MESSAGE, messageArgs(m));
    }

    private Object[] messageArgs(MessageRow m) {
        return new Object[] { m.id(), m.sessionId(), m.role(), m.content(), m.status(), m.error(), json(m.metrics()),
                json(m.usage()), m.parentId(), m.idempotencyKey(), ts(m.createdAt()), json(m.envelope()), m.reasoning() };
    }

    /**
     * Stores a user message, its attachments and the session's new title and time in one transaction: either all of
     * it is committed or none (a failure half-way leaves no message without its files).
     */
    public void insertUserMessage(MessageRow m, List<AttachmentRow> attachments, SessionRow session) {
        insertUserMessage(m, List.of(), attachments, session);
    }

    /**
     * As {@link #insertUserMessage(MessageRow, List, SessionRow)}, first copying stored attachments ({@code copies}:
     * source id to the new row's id, in order) to the message, in the same transaction. A source that is gone by then
     * (its session deleted meanwhile) fails the whole insert with {@link AttachmentGoneException}.
     */
    public void insertUserMessage(MessageRow m, List<AttachmentCopy> copies, List<AttachmentRow> attachments,
            SessionRow session) {
        withConnection("insert", c -> {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(INSERT_MESSAGE)) {
                    bind(ps, messageArgs(m));
                    ps.executeUpdate();
                }
                if (!copies.isEmpty()) {
                    try (PreparedStatement ps = c.prepareStatement(COPY_ATTACHMENT)) {
                        for (AttachmentCopy copy : copies) {
                            bind(ps, copy.to(), m.id(), ts(m.createdAt()), copy.from(), m.sessionId());
                            if (ps.executeUpdate() != 1) {
                                throw new AttachmentGoneException(copy.from());
                            }
                        }
                    }
                }
                if (!attachments.isEmpty()) {
                    try (PreparedStatement ps = c.prepareStatement(INSERT_ATTACHMENT)) {
                        for (AttachmentRow a : attachments) {
                            bind(ps, a.id(), m.id(), a.name(), a.mimeType(), a.sizeBytes(), a.sha256(), a.data(),
                                    ts(a.createdAt()));
                            ps.executeUpdate();
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE chat_sessions SET title = ?, updated_at = ? "
                        + "WHERE id = ? AND owner_sub = ?")) {
                    bind(ps, session.title(), ts(session.updatedAt()), session.id(), session.ownerSub());
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
            return null;
        });
    }

    /** Completes (or fails, or stops) a message: its final content, status, error, metrics and usage. */
    public void finishMessage(UUID id, String content, String status, String error, JsonNode metrics, JsonNode usage) {
        update("UPDATE chat_messages SET content = ?, status = ?, error = ?, metrics_json = ?::jsonb, "
                + "usage_json = ?::jsonb WHERE id = ?", content, status, error, json(metrics), json(usage), id);
    }

    /** Saves the partial text of a message that is still streaming (never touches a finished one). */
    public void savePartial(UUID id, String content) {
        update("UPDATE chat_messages SET content = ? WHERE id = ? AND status = 'streaming'", content, id);
    }

    public List<MessageRow> listMessages(UUID sessionId) {
        return query("SELECT " + MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = ? ORDER BY seq",
                this::message, sessionId);
    }

    /**
     * One page of a session's messages, oldest first: the newest {@code limit} of those stored before the message at
     * position {@code beforeSeq} ({@code null}: up to the newest).
     */
    public List<MessageRow> listMessagesPage(UUID sessionId, Long beforeSeq, int limit) {
        String older = beforeSeq == null ? "" : " AND seq < ?";
        String sql = "SELECT " + MESSAGE_COLUMNS + " FROM (SELECT " + MESSAGE_COLUMNS + ", seq FROM chat_messages "
                + "WHERE session_id = ?" + older + " ORDER BY seq DESC LIMIT ?) page ORDER BY seq";
        return beforeSeq == null ? query(sql, this::message, sessionId, limit)
                : query(sql, this::message, sessionId, beforeSeq, limit);
    }

    /** The position of a message in its session (what {@link #listMessagesPage} pages by). */
    public Optional<Long> messageSeq(UUID sessionId, UUID id) {
        return query("SELECT seq FROM chat_messages WHERE session_id = ? AND id = ?", rs -> rs.getLong(1), sessionId, id)
                .stream().findFirst();
    }

    public Optional<MessageRow> findMessage(UUID sessionId, UUID id) {
        return query("SELECT " + MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = ? AND id = ?",
                this::message, sessionId, id).stream().findFirst();
    }

    public Optional<MessageRow> findByIdempotencyKey(UUID sessionId, String key) {
        return query("SELECT " + MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = ? AND idempotency_key = ?",
                this::message, sessionId, key).stream().findFirst();
    }

    /** The messages that answer (or follow) the given one, oldest first. */
    public List<MessageRow> children(UUID sessionId, UUID parentId) {
        return query("SELECT " + MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = ? AND parent_id = ? "
                + "ORDER BY seq", this::message, sessionId, parentId);
    }

    /** The newest message of a session: the leaf a new turn continues from. */
    public Optional<MessageRow> lastMessage(UUID sessionId) {
        return query("SELECT " + MESSAGE_COLUMNS + " FROM chat_messages WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
                this::message, sessionId).stream().findFirst();
    }

    public int countMessages(UUID sessionId) {
        return query("SELECT count(*) FROM chat_messages WHERE session_id = ?", rs -> rs.getInt(1), sessionId).get(0);
    }

    public boolean deleteMessage(UUID sessionId, UUID id) {
        return update("DELETE FROM chat_messages WHERE session_id = ? AND id = ?", sessionId, id) > 0;
    }

    /**
     * Marks assistant messages left {@code streaming} with no running turn (every running turn has a row in
     * {@code chat_turns}, claimed before its message is inserted) as failed: nothing will continue them.
     */
    public int failOrphanedStreaming(String reason, java.time.Duration olderThan) {
        return update("UPDATE chat_messages m SET status = 'error', error = ? WHERE m.status = 'streaming' "
                + "AND m.created_at < ? AND NOT EXISTS (SELECT 1 FROM chat_turns t WHERE t.id = m.id "
                + "AND t.ended_at IS NULL)", reason, ts(Instant.now().minus(olderThan)));
    }

    // ---- attachments ----

    /** Metadata (never the bytes) of every attachment of a session, in message then upload order. */
    public List<AttachmentRow> listAttachmentMeta(UUID sessionId) {
        return query("SELECT " + ATTACHMENT_META + " FROM chat_attachments a JOIN chat_messages m ON m.id = a.message_id "
                + "WHERE m.session_id = ? ORDER BY m.seq, a.seq", this::attachmentMeta, sessionId);
    }

    /** Metadata (never the bytes) of the attachments of the given messages, in upload order. */
    public List<AttachmentRow> listAttachmentMeta(List<UUID> messageIds) {
        if (messageIds.isEmpty()) {
            return List.of();
        }
        return query("SELECT " + ATTACHMENT_META + " FROM chat_attachments a WHERE a.message_id = ANY (?) ORDER BY a.seq",
                this::attachmentMeta, (Object) messageIds.toArray(UUID[]::new));
    }

    /** The attachments of the given messages with their bytes (to send them with the history). */
    public List<AttachmentRow> listAttachmentsWithData(List<UUID> messageIds) {
        if (messageIds.isEmpty()) {
            return List.of();
        }
        return query("SELECT " + ATTACHMENT_META + ", a.data FROM chat_attachments a WHERE a.message_id = ANY (?) "
                + "ORDER BY a.seq", rs -> {
                    AttachmentRow meta = attachmentMeta(rs);
                    return meta.withData(rs.getBytes(8));
                }, (Object) messageIds.toArray(UUID[]::new));
    }

    /** The attachments with the given ids with their bytes, in upload order. */
    public List<AttachmentRow> listAttachmentsWithDataById(List<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return query("SELECT " + ATTACHMENT_META + ", a.data FROM chat_attachments a WHERE a.id = ANY (?) "
                + "ORDER BY a.seq", rs -> attachmentMeta(rs).withData(rs.getBytes(8)),
                (Object) ids.toArray(UUID[]::new));
    }

    /**
     * For each of the given attachment ids that belongs to a session of {@code ownerSub}: its session id. Ids of other
     * users' attachments are absent, like ids that do not exist.
     */
    public Map<UUID, UUID> attachmentSessions(List<UUID> ids, String ownerSub) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<UUID, UUID> out = new HashMap<>();
        query("SELECT a.id, m.session_id FROM chat_attachments a JOIN chat_messages m ON m.id = a.message_id "
                + "JOIN chat_sessions s ON s.id = m.session_id WHERE a.id = ANY (?) AND s.owner_sub = ?",
                rs -> out.put(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)),
                ids.toArray(UUID[]::new), ownerSub);
        return out;
    }

    /** One attachment with its bytes, only if it belongs to a session of {@code ownerSub}. */
    public Optional<AttachmentRow> findAttachment(UUID sessionId, UUID attachmentId, String ownerSub) {
        return query("SELECT " + ATTACHMENT_META + ", a.data FROM chat_attachments a "
                + "JOIN chat_messages m ON m.id = a.message_id JOIN chat_sessions s ON s.id = m.session_id "
                + "WHERE a.id = ? AND m.session_id = ? AND s.owner_sub = ?", rs -> attachmentMeta(rs).withData(rs.getBytes(8)),
                attachmentId, sessionId, ownerSub).stream().findFirst();
    }

    /** Copies a message's attachments to another message (fork). */
    public void copyAttachments(UUID fromMessageId, UUID toMessageId) {
        update("INSERT INTO chat_attachments (id, message_id, name, mime_type, size_bytes, sha256, data, created_at) "
                + "SELECT gen_random_uuid(), ?, name, mime_type, size_bytes, sha256, data, created_at "
                + "FROM chat_attachments WHERE message_id = ? ORDER BY seq", toMessageId, fromMessageId);
    }

    private AttachmentRow attachmentMeta(ResultSet rs) throws SQLException {
        return new AttachmentRow(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                rs.getString(4), rs.getLong(5), rs.getString(6), null, instant(rs, 7));
    }

    // ---- plumbing ----

    private SessionRow session(ResultSet rs) throws SQLException {
        return new SessionRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), node(rs.getString(7)), (ObjectNode) node(rs.getString(8)),
                instant(rs, 9), instant(rs, 10));
    }

    private MessageRow message(ResultSet rs) throws SQLException {
        return new MessageRow(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6), node(rs.getString(7)), node(rs.getString(8)),
                rs.getObject(9, UUID.class), rs.getString(10), instant(rs, 11), node(rs.getString(12)), rs.getString(13));
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, RowMapper<T> rowMapper, Object... args) {
        return withConnection("query", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    List<T> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(rowMapper.map(rs));
                    }
                    return out;
                }
            }
        });
    }

    private int update(String sql, Object... args) {
        return withConnection("update", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                return ps.executeUpdate();
            }
        });
    }

    /** Work on one pooled connection; see {@link #withConnection(DataSource, String, SqlWork)}. */
    private <T> T withConnection(String what, SqlWork<T> work) {
        return withConnection(dataSource, what, work);
    }

    /** Something done with one connection (a statement, or a transaction the work commits itself). */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} on a pooled connection. A connection that turns out dead (the server restarted since it was
     * pooled: the failure is a connection failure and the server answers again) costs no request: the work runs
     * once more on a fresh connection. While the server is away the failure is a {@link DatabaseUnavailableException}
     * (503, retryable); any other failure an {@code IllegalStateException} (500).
     */
    public static <T> T withConnection(DataSource dataSource, String what, SqlWork<T> work) {
        SQLException first = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                return work.run(c);
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    throw new IllegalStateException("duplicate: " + e.getMessage(), e);
                }
                if (!DatabaseUnavailableException.isConnectionFailure(e)) {
                    throw new IllegalStateException("database " + what + " failed: " + e.getMessage(), e);
                }
                if (first != null) {
                    e.addSuppressed(first);
                }
                first = e;
            }
        }
        throw new DatabaseUnavailableException("database unavailable: " + first.getMessage(), first);
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            if (args[i] == null) {
                ps.setNull(i + 1, Types.NULL);
            } else if (args[i] instanceof UUID[] ids) {
                ps.setArray(i + 1, ps.getConnection().createArrayOf("uuid", ids));
            } else if (args[i] instanceof byte[] bytes) {
                ps.setBytes(i + 1, bytes);
            } else {
                ps.setObject(i + 1, args[i]);
            }
        }
    }

    private String json(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode node(String json) {
        if (json == null) {
            return null;
        }
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is unreadable", e);
        }
    }

    private static OffsetDateTime ts(Instant i) {
        return i.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
