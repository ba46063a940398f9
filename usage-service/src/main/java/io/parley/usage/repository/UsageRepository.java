package io.parley.usage.repository;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.usage.model.Attachment;
import io.parley.usage.model.UsageEvent;
import io.parley.usage.model.UsageFilter;
import io.parley.usage.model.UsageRecord;
import io.parley.usage.service.Cursor;

/**
 * Plain JDBC access to {@code usage_records}. Ingest is one JDBC batch of {@code INSERT ... ON CONFLICT (request_id) DO
 * NOTHING} per request: the driver pipelines the statements in few round trips and reports per statement whether a row
 * was written, which is exactly the accepted/duplicate split the ingest API answers.
 */
@ApplicationScoped
public class UsageRepository {

    static final String COLUMNS = "request_id, occurred_at, received_at, user_id, org_id, api_key_id, model, engine_type,"
            + " deployment, endpoint_kind, stream, prompt_tokens, completion_tokens, ttft_ms, latency_ms, tokens_per_sec,"
            + " status, error_type, correlation_id, metadata, source, attachments";

    private static final String INSERT = "INSERT INTO usage_records (request_id, occurred_at, user_id, org_id, api_key_id,"
            + " model, engine_type, deployment, endpoint_kind, stream, prompt_tokens, completion_tokens, ttft_ms,"
            + " latency_ms, tokens_per_sec, status, error_type, correlation_id, metadata, source, attachments)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb)"
            + " ON CONFLICT (request_id) DO NOTHING";

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final TypeReference<List<Attachment>> ATTACHMENTS = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public UsageRepository(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    /** Callback for streamed reads. */
    @FunctionalInterface
    public interface RowSink {
        void accept(UsageRecord record) throws Exception;
    }

    /**
     * Inserts the events in one transaction; answers, per event, whether it was new (true) or a duplicate of a stored
     * request id (false). A request id repeated inside the batch counts once.
     */
    public boolean[] insert(List<UsageEvent> events) {
        boolean[] inserted = new boolean[events.size()];
        if (events.isEmpty()) {
            return inserted;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(INSERT)) {
                for (UsageEvent e : events) {
                    bindInsert(ps, e);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                c.commit();
                for (int i = 0; i < counts.length; i++) {
                    inserted[i] = counts[i] > 0;
                }
                return inserted;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storing usage events failed: " + e.getMessage(), e);
        }
    }

    private void bindInsert(PreparedStatement ps, UsageEvent e) throws SQLException {
        ps.setString(1, e.requestId());
        ps.setObject(2, OffsetDateTime.ofInstant(e.timestamp(), ZoneOffset.UTC));
        ps.setString(3, e.userId());
        ps.setString(4, e.orgId());
        ps.setString(5, e.apiKeyId());
        ps.setString(6, e.model());
        ps.setString(7, e.engineType());
        ps.setString(8, e.deployment());
        ps.setString(9, e.endpointKind());
        ps.setBoolean(10, e.stream());
        ps.setInt(11, (int) e.promptTokens());
        ps.setInt(12, (int) e.completionTokens());
        setDouble(ps, 13, e.ttftMs());
        setDouble(ps, 14, e.latencyMs());
        setDouble(ps, 15, e.tokensPerSec());
        ps.setString(16, e.status());
        ps.setString(17, e.errorType());
        ps.setString(18, e.correlationId());
        ps.setString(19, json(e.metadata()));
        ps.setString(20, e.source());
        ps.setString(21, json(e.attachments()));
    }

    private static void setDouble(PreparedStatement ps, int index, Double value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.DOUBLE);
        } else {
            ps.setDouble(index, value);
        }
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("value cannot be written as JSON", e);
        }
    }

    /** Up to {@code limit} records matching the filter, newest first, strictly after the cursor when one is given. */
    public List<UsageRecord> page(UsageFilter filter, Optional<Cursor> after, int limit) {
        SqlFilter f = SqlFilter.raw(filter);
        after.ifPresent(c -> f.and("(occurred_at, request_id) < (?, ?)",
                OffsetDateTime.ofInstant(c.timestamp(), ZoneOffset.UTC), c.requestId()));
        String sql = "SELECT " + COLUMNS + " FROM usage_records" + f.where()
                + " ORDER BY occurred_at DESC, request_id DESC LIMIT ?";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int next = f.bind(ps);
            ps.setInt(next, limit);
            List<UsageRecord> result = new ArrayList<>(Math.min(limit, 1024));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(read(rs));
                }
            }
            return result;
        } catch (SQLException e) {
            throw new IllegalStateException("reading usage records failed: " + e.getMessage(), e);
        }
    }

    /** Streams every record matching the filter, newest first, without holding them in memory. */
    public void stream(UsageFilter filter, RowSink sink) throws Exception {
        SqlFilter f = SqlFilter.raw(filter);
        String sql = "SELECT " + COLUMNS + " FROM usage_records" + f.where() + " ORDER BY occurred_at DESC, request_id DESC";
        try (Connection c = dataSource.getConnection()) {
            // the PostgreSQL driver uses a server-side cursor (fetch size) only inside a transaction
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setFetchSize(500);
                f.bind(ps);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        sink.accept(read(rs));
                    }
                }
            } finally {
                c.rollback();
            }
        }
    }

    private UsageRecord read(ResultSet rs) throws SQLException {
        try {
            return new UsageRecord(
                    rs.getString("request_id"),
                    rs.getObject("occurred_at", OffsetDateTime.class).toInstant(),
                    rs.getObject("received_at", OffsetDateTime.class).toInstant(),
                    rs.getString("user_id"),
                    rs.getString("org_id"),
                    rs.getString("api_key_id"),
                    rs.getString("model"),
                    rs.getString("engine_type"),
                    rs.getString("deployment"),
                    rs.getString("endpoint_kind"),
                    rs.getBoolean("stream"),
                    rs.getLong("prompt_tokens"),
                    rs.getLong("completion_tokens"),
                    getDouble(rs, "ttft_ms"),
                    getDouble(rs, "latency_ms"),
                    getDouble(rs, "tokens_per_sec"),
                    rs.getString("status"),
                    rs.getString("error_type"),
                    rs.getString("correlation_id"),
                    mapper.readValue(rs.getString("metadata"), MAP),
                    rs.getString("source"),
                    mapper.readValue(rs.getString("attachments"), ATTACHMENTS));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON of " + rs.getString("request_id") + " is unreadable", e);
        }
    }

    private static Double getDouble(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }
}
