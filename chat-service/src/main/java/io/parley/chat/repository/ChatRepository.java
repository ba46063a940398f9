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
import java.util.List;
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

    private static final String SESSION_COLUMNS = "id, user_id, title, model_name, engine_type, constraints_json, "
            + "params_json, created_at, updated_at";
    private static final String MESSAGE_COLUMNS = "id, session_id, role, content, status, error, metrics_json, "
            + "usage_json, parent_id, idempotency_key, created_at";

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public ChatRepository(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    // ---- sessions ----

    public void insertSession(SessionRow s) {
        update("INSERT INTO chat_sessions (" + SESSION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)",
                s.id(), s.userId(), s.title(), s.modelName(), s.engineType(), json(s.constraints()), json(s.params()),
                ts(s.createdAt()), ts(s.updatedAt()));
    }

    public List<SessionRow> listSessions(String userId) {
        return query("SELECT " + SESSION_COLUMNS + " FROM chat_sessions WHERE user_id = ? ORDER BY updated_at DESC, "
                + "created_at DESC", this::session, userId);
    }

    public Optional<SessionRow> findSession(UUID id, String userId) {
        return query("SELECT " + SESSION_COLUMNS + " FROM chat_sessions WHERE id = ? AND user_id = ?", this::session,
                id, userId).stream().findFirst();
    }

    public void updateSession(SessionRow s) {
        update("UPDATE chat_sessions SET title = ?, model_name = ?, engine_type = ?, constraints_json = ?::jsonb, "
                + "params_json = ?::jsonb, updated_at = ? WHERE id = ? AND user_id = ?", s.title(), s.modelName(),
                s.engineType(), json(s.constraints()), json(s.params()), ts(s.updatedAt()), s.id(), s.userId());
    }

    public void touchSession(UUID id, Instant at) {
        update("UPDATE chat_sessions SET updated_at = ? WHERE id = ?", ts(at), id);
    }

    public boolean deleteSession(UUID id, String userId) {
        return update("DELETE FROM chat_sessions WHERE id = ? AND user_id = ?", id, userId) > 0;
    }

    public int deleteAllSessions(String userId) {
        return update("DELETE FROM chat_sessions WHERE user_id = ?", userId);
    }

    // ---- messages ----

    public void insertMessage(MessageRow m) {
        update("INSERT INTO chat_messages (" + MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)",
                m.id(), m.sessionId(), m.role(), m.content(), m.status(), m.error(), json(m.metrics()), json(m.usage()),
                m.parentId(), m.idempotencyKey(), ts(m.createdAt()));
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

    /** Marks messages left {@code streaming} by a previous process as failed: their turn cannot continue. */
    public int failOrphanedStreaming(String reason, java.time.Duration olderThan) {
        return update("UPDATE chat_messages SET status = 'error', error = ? WHERE status = 'streaming' "
                + "AND created_at < ?", reason, ts(Instant.now().minus(olderThan)));
    }

    // ---- plumbing ----

    private SessionRow session(ResultSet rs) throws SQLException {
        return new SessionRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), node(rs.getString(6)), (ObjectNode) node(rs.getString(7)), instant(rs, 8),
                instant(rs, 9));
    }

    private MessageRow message(ResultSet rs) throws SQLException {
        return new MessageRow(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6), node(rs.getString(7)), node(rs.getString(8)),
                rs.getObject(9, UUID.class), rs.getString(10), instant(rs, 11));
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, RowMapper<T> rowMapper, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rowMapper.map(rs));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("database query failed: " + e.getMessage(), e);
        }
    }

    private int update(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("database update failed: " + e.getMessage(), e);
        }
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            if (args[i] == null) {
                ps.setNull(i + 1, Types.NULL);
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
