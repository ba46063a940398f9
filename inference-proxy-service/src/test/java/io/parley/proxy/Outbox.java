package io.parley.proxy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;

import javax.sql.DataSource;

import io.vertx.core.json.JsonObject;

/** Test view of the usage_outbox table. */
public final class Outbox {

    public record Row(String requestId, JsonObject event, boolean delivered, int attempts) {
    }

    private Outbox() {
    }

    public static Optional<Row> byRequestId(DataSource ds, String requestId) {
        return query(ds, "select request_id, event::text, delivered_at is not null, attempts from usage_outbox"
                + " where request_id = ?", requestId);
    }

    public static Optional<Row> byCorrelationId(DataSource ds, String correlationId) {
        return query(ds, "select request_id, event::text, delivered_at is not null, attempts from usage_outbox"
                + " where event->>'correlation_id' = ?", correlationId);
    }

    public static long count(DataSource ds, String correlationId) {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "select count(*) from usage_outbox where event->>'correlation_id' = ?")) {
            ps.setString(1, correlationId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<Row> query(DataSource ds, String sql, String arg) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Row(rs.getString(1), new JsonObject(rs.getString(2)), rs.getBoolean(3),
                        rs.getInt(4)));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
