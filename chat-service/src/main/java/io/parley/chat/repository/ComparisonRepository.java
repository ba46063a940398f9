package io.parley.chat.repository;

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

/**
 * Plain JDBC access to {@code chat_comparisons} and the column sessions linked to them ({@code chat_sessions
 * .comparison_id}). Every query takes the owner's subject, so another user's comparison reads as absent. Blocking.
 */
@ApplicationScoped
public class ComparisonRepository {

    /** One comparison row. */
    public record ComparisonRow(UUID id, String ownerSub, String userId, String title, String prompt,
            Instant createdAt, Instant updatedAt) {
    }

    /** A column: its session id, position and model. */
    public record ColumnRow(UUID sessionId, int position, String modelName) {
    }

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public ComparisonRepository(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    /** The comparison and one session per column (in order), in one transaction: all or nothing. */
    public void insert(ComparisonRow comparison, List<SessionRow> columns) {
        ChatRepository.withConnection(dataSource, "comparison insert", c -> {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_comparisons (id, owner_sub, user_id, "
                        + "title, prompt, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    bind(ps, comparison.id(), comparison.ownerSub(), comparison.userId(), comparison.title(),
                            comparison.prompt(), ts(comparison.createdAt()), ts(comparison.updatedAt()));
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_sessions (id, owner_sub, user_id, "
                        + "title, model_name, engine_type, constraints_json, params_json, created_at, updated_at, "
                        + "comparison_id, comparison_position) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?)")) {
                    for (int i = 0; i < columns.size(); i++) {
                        SessionRow s = columns.get(i);
                        bind(ps, s.id(), s.ownerSub(), s.userId(), s.title(), s.modelName(), s.engineType(),
                                json(s.constraints()), json(s.params()), ts(s.createdAt()), ts(s.updatedAt()),
                                comparison.id(), (short) i);
                        ps.executeUpdate();
                    }
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

    /** The owner's comparisons, newest first. */
    public List<ComparisonRow> list(String ownerSub) {
        return query("SELECT id, owner_sub, user_id, title, prompt, created_at, updated_at FROM chat_comparisons "
                + "WHERE owner_sub = ? ORDER BY created_at DESC, id", this::comparison, ownerSub);
    }

    public Optional<ComparisonRow> find(UUID id, String ownerSub) {
        return query("SELECT id, owner_sub, user_id, title, prompt, created_at, updated_at FROM chat_comparisons "
                + "WHERE id = ? AND owner_sub = ?", this::comparison, id, ownerSub).stream().findFirst();
    }

    /** The columns of one comparison of the owner, in order. */
    public List<ColumnRow> columns(UUID comparisonId, String ownerSub) {
        return query("SELECT id, comparison_position, model_name FROM chat_sessions WHERE comparison_id = ? "
                + "AND owner_sub = ? ORDER BY comparison_position",
                rs -> new ColumnRow(rs.getObject(1, UUID.class),
                        rs.getInt(2), rs.getString(3)),
                comparisonId, ownerSub);
    }

    /** The model names of each of the owner's comparisons, in column order. */
    public java.util.Map<UUID, List<String>> models(String ownerSub) {
        java.util.Map<UUID, List<String>> out = new java.util.HashMap<>();
        query("SELECT comparison_id, model_name FROM chat_sessions WHERE owner_sub = ? AND comparison_id IS NOT NULL "
                + "ORDER BY comparison_id, comparison_position",
                rs -> out.computeIfAbsent(rs.getObject(1, UUID.class),
                        k -> new ArrayList<>()).add(rs.getString(2)),
                ownerSub);
        return out;
    }

    /** Deletes one comparison of the owner (its column sessions with it). */
    public boolean delete(UUID id, String ownerSub) {
        return ChatRepository.withConnection(dataSource, "comparison delete", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat_comparisons WHERE id = ? AND owner_sub = ?")) {
                bind(ps, id, ownerSub);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /** Deletes every comparison of the owner; answers how many. */
    public int deleteAll(String ownerSub) {
        return ChatRepository.withConnection(dataSource, "comparison delete", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat_comparisons WHERE owner_sub = ?")) {
                bind(ps, ownerSub);
                return ps.executeUpdate();
            }
        });
    }

    private ComparisonRow comparison(ResultSet rs) throws SQLException {
        return new ComparisonRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), instant(rs, 6), instant(rs, 7));
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, RowMapper<T> rowMapper, Object... args) {
        return ChatRepository.withConnection(dataSource, "comparison query", c -> {
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

    private static OffsetDateTime ts(Instant i) {
        return i.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
