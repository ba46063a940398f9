package io.parley.usage.repository;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.usage.model.Attachment;
import io.parley.usage.model.Cursor;
import io.parley.usage.model.UsageEvent;
import io.parley.usage.model.UsageFilter;
import io.parley.usage.model.UsageRecord;

/**
 * Plain JDBC access to {@code usage_records} (no ORM: ingest is a bulk insert and queries are keyset pages and
 * aggregates). Ingest is one {@code INSERT ... SELECT FROM unnest(arrays) ON CONFLICT (request_id) DO NOTHING RETURNING
 * request_id} per request: one round trip and one statement execution for the whole batch, and RETURNING tells exactly
 * which events were new, which is the accepted/duplicate split the ingest API answers.
 */
@ApplicationScoped
public class UsageRepository {

    static final String COLUMNS = "request_id, occurred_at, received_at, user_id, org_id, api_key_id, model, engine_type,"
            + " deployment, endpoint_kind, stream, prompt_tokens, completion_tokens, ttft_ms, latency_ms, tokens_per_sec,"
            + " status, error_type, correlation_id, metadata, source, attachments, bytes_delivered";

    /**
     * One statement per batch: the events travel as one array per column and are unnested server-side, so PostgreSQL
     * plans and executes a single multi-row insert. RETURNING names the rows really written; the others were
     * duplicates (already stored, or repeated within the batch).
     */
    private static final String INSERT = "INSERT INTO usage_records (request_id, occurred_at, user_id, org_id, api_key_id,"
            + " model, engine_type, deployment, endpoint_kind, stream, prompt_tokens, completion_tokens, ttft_ms,"
            + " latency_ms, tokens_per_sec, status, error_type, correlation_id, metadata, source, attachments,"
            + " bytes_delivered, user_sub)"
            + " SELECT request_id, occurred_at, user_id, org_id, api_key_id, model, engine_type, deployment,"
            + " endpoint_kind, stream, prompt_tokens, completion_tokens, ttft_ms, latency_ms, tokens_per_sec, status,"
            + " error_type, correlation_id, metadata, source, attachments, bytes_delivered,"
            // an event without a subject (an older proxy's) takes the one recorded for its user name, if any (ADR 0011)
            + " coalesce(user_sub, (SELECT subject FROM identity_claims WHERE username = u.user_id))"
            + " FROM unnest(?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],"
            + " ?::text[], ?::text[], ?::boolean[], ?::integer[], ?::integer[], ?::float8[], ?::float8[], ?::float8[],"
            + " ?::text[], ?::text[], ?::text[], ?::jsonb[], ?::text[], ?::jsonb[], ?::int8[], ?::text[])"
            + " AS u (request_id, occurred_at, user_id, org_id, api_key_id, model, engine_type, deployment,"
            + " endpoint_kind, stream, prompt_tokens, completion_tokens, ttft_ms, latency_ms, tokens_per_sec, status,"
            + " error_type, correlation_id, metadata, source, attachments, bytes_delivered, user_sub)"
            + " ON CONFLICT (request_id) DO NOTHING RETURNING request_id";

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
     * Inserts the events in one statement; answers, per event, whether it was new (true) or a duplicate of a stored
     * request id (false). A request id repeated inside the batch counts once (its first occurrence).
     */
    public boolean[] insert(List<UsageEvent> events) {
        int n = events.size();
        boolean[] inserted = new boolean[n];
        if (n == 0) {
            return inserted;
        }
        Object[][] columns = new Object[23][n];
        for (int i = 0; i < n; i++) {
            UsageEvent e = events.get(i);
            columns[0][i] = e.requestId();
            columns[1][i] = e.timestamp().toString();
            columns[2][i] = e.userId();
            columns[3][i] = e.orgId();
            columns[4][i] = e.apiKeyId();
            columns[5][i] = e.model();
            columns[6][i] = e.engineType();
            columns[7][i] = e.deployment();
            columns[8][i] = e.endpointKind();
            columns[9][i] = e.stream();
            columns[10][i] = (int) e.promptTokens();
            columns[11][i] = (int) e.completionTokens();
            columns[12][i] = e.ttftMs();
            columns[13][i] = e.latencyMs();
            columns[14][i] = e.tokensPerSec();
            columns[15][i] = e.status();
            columns[16][i] = e.errorType();
            columns[17][i] = e.correlationId();
            columns[18][i] = e.metadata().toString();
            columns[19][i] = e.source();
            columns[20][i] = e.attachments().isEmpty() ? "[]" : json(e.attachments());
            columns[21][i] = e.bytesDelivered();
            columns[22][i] = e.userSub();
        }
        String[] types = { "text", "text", "text", "text", "text", "text", "text", "text", "text", "bool", "int4", "int4",
                "float8", "float8", "float8", "text", "text", "text", "text", "text", "text", "int8", "text" };
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (int col = 0; col < columns.length; col++) {
                ps.setArray(col + 1, c.createArrayOf(types[col], typed(types[col], columns[col])));
            }
            Set<String> written = new HashSet<>(n * 2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    written.add(rs.getString(1));
                }
            }
            for (int i = 0; i < n; i++) {
                // remove: of several events with one new request id, only the first counts as written
                inserted[i] = written.remove(events.get(i).requestId());
            }
            return inserted;
        } catch (SQLException e) {
            throw new IllegalStateException("storing usage events failed: " + e.getMessage(), e);
        }
    }

    /** The driver needs arrays of the boxed Java type that matches the element type. */
    private static Object[] typed(String type, Object[] values) {
        Object[] array = switch (type) {
            case "bool" -> new Boolean[values.length];
            case "int4" -> new Integer[values.length];
            case "float8" -> new Double[values.length];
            case "int8" -> new Long[values.length];
            default -> new String[values.length];
        };
        System.arraycopy(values, 0, array, 0, values.length);
        return array;
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
                    mapper.readValue(rs.getString("attachments"), ATTACHMENTS),
                    rs.getObject("bytes_delivered") == null ? null : rs.getLong("bytes_delivered"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON of " + rs.getString("request_id") + " is unreadable", e);
        }
    }

    private static Double getDouble(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }
}
