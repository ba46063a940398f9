package io.parley.proxy.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

/** Plain JDBC over the {@code usage_outbox} table; every method blocks and must run on a worker thread. */
@ApplicationScoped
public class OutboxRepository {

    /** A pending row as the publisher sees it. */
    public record Pending(String requestId, String eventJson) {
    }

    /** Delivers a locked batch; returns the per-row rejection reasons (null = accepted) or throws to roll back. */
    @FunctionalInterface
    public interface BatchDelivery {
        List<String> deliver(List<Pending> batch) throws Exception;
    }

    private final DataSource dataSource;

    OutboxRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void insert(String requestId, String eventJson) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "insert into usage_outbox (request_id, event) values (?, ?::jsonb) on conflict (request_id) do nothing")) {
            ps.setString(1, requestId);
            ps.setString(2, eventJson);
            ps.executeUpdate();
        }
    }

    /**
     * Inserts the events in one transaction (one JDBC batch, one round trip): all of them or, on failure, none. A request
     * id already in the outbox is skipped, so a retried batch never doubles a row.
     */
    public void insertAll(List<Pending> events) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into usage_outbox (request_id, event) values (?, ?::jsonb) on conflict (request_id) do nothing")) {
                for (Pending event : events) {
                    ps.setString(1, event.requestId());
                    ps.setString(2, event.eventJson());
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * Locks up to {@code limit} undelivered rows (rows locked by another replica are skipped), hands them to
     * {@code delivery} and marks them delivered in the same transaction. When delivery throws, the transaction rolls back
     * and the rows stay pending. Returns how many rows were delivered.
     */
    public int deliverBatch(int limit, BatchDelivery delivery) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                List<Pending> batch = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(
                        "select request_id, event::text from usage_outbox where delivered_at is null"
                                + " order by created_at limit ? for update skip locked")) {
                    ps.setInt(1, limit);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            batch.add(new Pending(rs.getString(1), rs.getString(2)));
                        }
                    }
                }
                if (batch.isEmpty()) {
                    c.commit();
                    return 0;
                }
                List<String> rejections;
                try {
                    rejections = delivery.deliver(batch);
                } catch (Exception e) {
                    c.rollback();
                    markAttempt(c, batch);
                    throw e;
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "update usage_outbox set delivered_at = now(), attempts = attempts + 1, rejected_reason = ?"
                                + " where request_id = ?")) {
                    for (int i = 0; i < batch.size(); i++) {
                        ps.setString(1, i < rejections.size() ? rejections.get(i) : null);
                        ps.setString(2, batch.get(i).requestId());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                c.commit();
                return batch.size();
            } catch (Exception e) {
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private static void markAttempt(Connection c, List<Pending> batch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update usage_outbox set attempts = attempts + 1 where request_id = ? and delivered_at is null")) {
            for (Pending p : batch) {
                ps.setString(1, p.requestId());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        c.commit();
    }

    public long pendingCount() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("select count(*) from usage_outbox where delivered_at is null");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
