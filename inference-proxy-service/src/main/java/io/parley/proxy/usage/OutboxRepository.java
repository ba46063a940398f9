package io.parley.proxy.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.logging.Log;

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

    /** A usage event PostgreSQL refused to store, as an admin sees it. */
    public record DeadLetter(String requestId, String eventJson, String reason, Instant createdAt) {
    }

    private static final String INSERT = "insert into usage_outbox (request_id, event) values (?, ?::jsonb)"
            + " on conflict (request_id) do nothing";

    private final DataSource dataSource;
    private final Counter deadLettered;

    OutboxRepository(DataSource dataSource) {
        this(dataSource, new SimpleMeterRegistry());
    }

    @Inject
    OutboxRepository(DataSource dataSource, MeterRegistry registry) {
        this.dataSource = dataSource;
        this.deadLettered = Counter.builder("parley_proxy_usage_dead_lettered")
                .description("usage events PostgreSQL refused to store (a data error, not an outage), kept in"
                        + " usage_dead_letter with the reason instead of blocking the events behind them")
                .register(registry);
    }

    /**
     * Inserts one event, autocommitted. An event PostgreSQL refuses as data (SQLSTATE class 22 or 23, e.g. a value jsonb
     * cannot hold) goes to {@code usage_dead_letter} with the reason; an outage still throws, so the caller keeps it.
     */
    public void insert(String requestId, String eventJson) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            insertOrDeadLetter(c, new Pending(requestId, eventJson));
        }
    }

    /**
     * Inserts the events in one transaction (one JDBC batch, one round trip). A request id already in the outbox is
     * skipped, so a retried batch never doubles a row. On an outage none of them is written and the exception is
     * thrown. When PostgreSQL refuses one of them as data, the batch is rolled back and written again row by row: the
     * refused events go to {@code usage_dead_letter}, the others to the outbox, so one bad record never blocks the
     * records behind it.
     */
    public void insertAll(List<Pending> events) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(INSERT)) {
                for (Pending event : events) {
                    ps.setString(1, event.requestId());
                    ps.setString(2, event.eventJson());
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                if (!(e instanceof SQLException sql) || !isDataError(sql)) {
                    throw e;
                }
                c.setAutoCommit(true);
                for (Pending event : events) {
                    insertOrDeadLetter(c, event);
                }
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private void insertOrDeadLetter(Connection c, Pending event) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, event.requestId());
            ps.setString(2, event.eventJson());
            ps.executeUpdate();
        } catch (SQLException e) {
            if (!isDataError(e)) {
                throw e;
            }
            String reason = clean(e.getSQLState() + " " + e.getMessage());
            try (PreparedStatement ps = c.prepareStatement("insert into usage_dead_letter (request_id, event, reason)"
                    + " values (?, ?, ?) on conflict (request_id) do nothing")) {
                ps.setString(1, clean(event.requestId()));
                ps.setString(2, clean(event.eventJson()));
                ps.setString(3, reason);
                ps.executeUpdate();
            }
            deadLettered.increment();
            Log.errorf("usage of request %s refused by PostgreSQL and kept in usage_dead_letter: %s",
                    clean(event.requestId()), reason);
        }
    }

    /** A refusal of the data itself (SQLSTATE class 22 data exception, 23 integrity violation), not of the database. */
    static boolean isDataError(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            String state = x.getSQLState();
            if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
                return true;
            }
        }
        return false;
    }

    /** Text PostgreSQL can store: a raw NUL (never in JSON written by Jackson, which escapes it) becomes its escape. */
    private static String clean(String text) {
        return text == null ? "" : text.replace("\0", "\\u0000");
    }

    /** The newest dead letters, at most {@code limit}. */
    public List<DeadLetter> deadLetters(int limit) throws SQLException {
        List<DeadLetter> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("select request_id, event, reason, created_at"
                        + " from usage_dead_letter order by created_at desc, request_id limit ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new DeadLetter(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getTimestamp(4).toInstant()));
                }
            }
        }
        return out;
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
