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

/** Plain JDBC access to {@code chat_presets}; every query takes the owner's subject. Blocking. */
@ApplicationScoped
public class PresetRepository {

    /** One preset: named params (system prompt included) and turn envelope (null when all defaults). */
    public record PresetRow(UUID id, String ownerSub, String userId, String name, JsonNode params, JsonNode envelope,
            Instant createdAt, Instant updatedAt) {
    }

    private static final String COLUMNS = "id, owner_sub, user_id, name, params_json, envelope_json, created_at, "
            + "updated_at";

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public PresetRepository(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    /** Inserts a preset; false when the owner has one of that name already. */
    public boolean insert(PresetRow p) {
        try {
            update("INSERT INTO chat_presets (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)", p.id(),
                    p.ownerSub(), p.userId(), p.name(), json(p.params()), json(p.envelope()), ts(p.createdAt()),
                    ts(p.updatedAt()));
            return true;
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("duplicate")) {
                return false;
            }
            throw e;
        }
    }

    /** Updates a preset of its owner; false when the new name is taken by another of the owner's presets. */
    public boolean update(PresetRow p) {
        try {
            update("UPDATE chat_presets SET name = ?, params_json = ?::jsonb, envelope_json = ?::jsonb, updated_at = ? "
                    + "WHERE id = ? AND owner_sub = ?", p.name(), json(p.params()), json(p.envelope()),
                    ts(p.updatedAt()), p.id(), p.ownerSub());
            return true;
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("duplicate")) {
                return false;
            }
            throw e;
        }
    }

    public List<PresetRow> list(String ownerSub) {
        return query("SELECT " + COLUMNS + " FROM chat_presets WHERE owner_sub = ? ORDER BY lower(name), name",
                ownerSub);
    }

    public Optional<PresetRow> find(UUID id, String ownerSub) {
        return query("SELECT " + COLUMNS + " FROM chat_presets WHERE id = ? AND owner_sub = ?", id, ownerSub).stream()
                .findFirst();
    }

    public boolean delete(UUID id, String ownerSub) {
        return update("DELETE FROM chat_presets WHERE id = ? AND owner_sub = ?", id, ownerSub) > 0;
    }

    private List<PresetRow> query(String sql, Object... args) {
        return ChatRepository.withConnection(dataSource, "preset query", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    List<PresetRow> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new PresetRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3),
                                rs.getString(4), node(rs.getString(5)), node(rs.getString(6)), instant(rs, 7),
                                instant(rs, 8)));
                    }
                    return out;
                }
            }
        });
    }

    private int update(String sql, Object... args) {
        return ChatRepository.withConnection(dataSource, "preset update", c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                return ps.executeUpdate();
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
