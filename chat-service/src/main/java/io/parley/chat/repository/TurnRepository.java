package io.parley.chat.repository;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Plain JDBC access to the shared turns ({@code chat_turns}, {@code chat_turn_events}; ADR 0006). Events are stored as
 * their JSON text. Every write that other replicas must see also sends a notification on {@link #EVENTS_CHANNEL}
 * (payload {@code <turn id>:<seq>}, comma-separated, after the commit) or {@link #STOP_CHANNEL} (payload the turn id).
 * Blocking: call from worker threads only.
 */
@ApplicationScoped
public class TurnRepository {

    /** LISTEN/NOTIFY channel: new events of a turn were committed. */
    public static final String EVENTS_CHANNEL = "parley_turn_events";
    /** LISTEN/NOTIFY channel: a stop was requested for a turn. */
    public static final String STOP_CHANNEL = "parley_turn_stop";
    /** A notification's payload must stay under 8000 bytes. */
    private static final int MAX_PAYLOAD = 7000;

    private final DataSource dataSource;

    public TurnRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** One stored event of a turn. */
    public record EventRow(UUID turnId, int seq, String name, String data) {
    }

    /** A turn's shared state. {@code leaseExpiredFor} is how long ago the lease ran out (negative: still held). */
    public record TurnRow(UUID id, UUID sessionId, String owner, Instant leaseUntil, Instant stopRequestedAt,
            Instant startedAt, Instant endedAt, Duration leaseExpiredFor) {
        public boolean running() {
            return endedAt == null;
        }
    }

    /** A running turn of this owner after a heartbeat: whether a stop was requested for it. */
    public record Held(UUID id, boolean stopRequested) {
    }

    /**
     * Claims the session's one running turn for {@code owner}: false when another turn of the session is running (the
     * partial unique index), true when the row was inserted.
     */
    public boolean claim(UUID turnId, UUID sessionId, String owner, Duration lease) {
        return ChatRepository.withConnection(dataSource, "turn claim", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_turns (id, session_id, owner, lease_until, "
                    + "started_at) VALUES (?, ?, ?, now() + ?::interval, now()) ON CONFLICT DO NOTHING")) {
                bind(ps, turnId, sessionId, owner, interval(lease));
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Gives a claimed turn back (its start failed before anything ran). */
    public void release(UUID turnId) {
        ChatRepository.withConnection(dataSource, "turn release", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat_turns WHERE id = ?")) {
                bind(ps, turnId);
                return ps.executeUpdate();
            }
        });
    }

    public Optional<TurnRow> find(UUID turnId) {
        return ChatRepository.withConnection(dataSource, "turn query", c -> find(c, turnId, false));
    }

    /** The turn's row, locked for update when {@code lock}. */
    public Optional<TurnRow> find(Connection c, UUID turnId, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, session_id, owner, lease_until, stop_requested_at, "
                + "started_at, ended_at, extract(epoch FROM now() - lease_until) FROM chat_turns WHERE id = ?"
                + (lock ? " FOR UPDATE" : ""))) {
            bind(ps, turnId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(turn(rs)) : Optional.empty();
            }
        }
    }

    /** The running turn of a session, if any. */
    public Optional<TurnRow> running(UUID sessionId) {
        return ChatRepository.withConnection(dataSource, "turn query", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, session_id, owner, lease_until, "
                    + "stop_requested_at, started_at, ended_at, extract(epoch FROM now() - lease_until) FROM chat_turns "
                    + "WHERE session_id = ? AND ended_at IS NULL")) {
                bind(ps, sessionId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(turn(rs)) : Optional.empty();
                }
            }
        });
    }

    /** The stored events of a turn after {@code afterSeq}, in order. */
    public List<EventRow> events(UUID turnId, long afterSeq) {
        return ChatRepository.withConnection(dataSource, "turn events query", c -> events(c, turnId, afterSeq));
    }

    public List<EventRow> events(Connection c, UUID turnId, long afterSeq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT seq, name, data FROM chat_turn_events WHERE turn_id = ? "
                + "AND seq > ? ORDER BY seq")) {
            bind(ps, turnId, (int) Math.min(Integer.MAX_VALUE, afterSeq));
            try (ResultSet rs = ps.executeQuery()) {
                List<EventRow> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new EventRow(turnId, rs.getInt(1), rs.getString(2), rs.getString(3)));
                }
                return out;
            }
        }
    }

    /**
     * Appends events (any turns, each turn's in order; an event already stored is skipped, so a retried batch is
     * harmless) and saves the partial text of running messages, in one transaction, then notifies.
     */
    public void append(List<EventRow> events, Map<UUID, String> partials) {
        if (events.isEmpty() && partials.isEmpty()) {
            return;
        }
        ChatRepository.withConnection(dataSource, "turn events insert", c -> {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                insertEvents(c, events);
                if (!partials.isEmpty()) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE chat_messages SET content = ? WHERE id = ? "
                            + "AND status = 'streaming'")) {
                        for (Map.Entry<UUID, String> p : partials.entrySet()) {
                            bind(ps, p.getValue(), p.getKey());
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                }
                notifyEvents(c, events);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
            return null;
        });
    }

    public void insertEvents(Connection c, List<EventRow> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_turn_events (turn_id, seq, name, data) "
                + "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            for (EventRow e : events) {
                bind(ps, e.turnId(), e.seq(), e.name(), e.data());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Sends {@link #EVENTS_CHANNEL} notifications for the last event of each turn in {@code events} (on commit). */
    public void notifyEvents(Connection c, List<EventRow> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        Map<UUID, Integer> last = new java.util.LinkedHashMap<>();
        for (EventRow e : events) {
            last.merge(e.turnId(), e.seq(), Math::max);
        }
        List<String> payloads = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        for (Map.Entry<UUID, Integer> e : last.entrySet()) {
            String item = e.getKey() + ":" + e.getValue();
            if (b.length() + item.length() + 1 > MAX_PAYLOAD) {
                payloads.add(b.toString());
                b.setLength(0);
            }
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(item);
        }
        payloads.add(b.toString());
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            for (String p : payloads) {
                bind(ps, EVENTS_CHANNEL, p);
                ps.executeQuery().close();
            }
        }
    }

    /**
     * Ends a running turn held by {@code owner} in one transaction: marks it ended, appends its last events and
     * stores the assistant message's final state, then notifies. False (and nothing written) when the turn is no
     * longer this owner's running turn (another replica finished it).
     */
    public boolean finish(UUID turnId, String owner, List<EventRow> events, String content, String status, String error,
            String metricsJson, String usageJson, String reasoning) {
        return ChatRepository.withConnection(dataSource, "turn finish", c -> {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                int n;
                try (PreparedStatement ps = c.prepareStatement("UPDATE chat_turns SET ended_at = now() WHERE id = ? "
                        + "AND owner = ? AND ended_at IS NULL")) {
                    bind(ps, turnId, owner);
                    n = ps.executeUpdate();
                }
                if (n == 0) {
                    c.rollback();
                    return false;
                }
                finishMessage(c, turnId, events, content, status, error, metricsJson, usageJson, reasoning);
                c.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        });
    }

    /** The message and event part of finishing a turn, inside the caller's transaction. */
    public void finishMessage(Connection c, UUID turnId, List<EventRow> events, String content, String status,
            String error, String metricsJson, String usageJson, String reasoning) throws SQLException {
        insertEvents(c, events);
        try (PreparedStatement ps = c.prepareStatement("UPDATE chat_messages SET content = ?, status = ?, error = ?, "
                + "metrics_json = ?::jsonb, usage_json = ?::jsonb, reasoning = ? WHERE id = ?")) {
            bind(ps, content, status, error, metricsJson, usageJson, reasoning, turnId);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE chat_sessions SET updated_at = now() WHERE id = "
                + "(SELECT session_id FROM chat_turns WHERE id = ?)")) {
            bind(ps, turnId);
            ps.executeUpdate();
        }
        notifyEvents(c, events);
    }

    /**
     * Renews the lease of every running turn of {@code owner} and answers them, each with whether a stop was
     * requested (the owner's fallback when a stop notification was missed).
     */
    public List<Held> heartbeat(String owner, Duration lease) {
        return ChatRepository.withConnection(dataSource, "turn heartbeat", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE chat_turns SET lease_until = now() + ?::interval "
                    + "WHERE owner = ? AND ended_at IS NULL RETURNING id, stop_requested_at IS NOT NULL")) {
                bind(ps, interval(lease), owner);
                try (ResultSet rs = ps.executeQuery()) {
                    List<Held> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new Held(rs.getObject(1, UUID.class), rs.getBoolean(2)));
                    }
                    return out;
                }
            }
        });
    }

    /** Records a stop request for a running turn and notifies its owner; false when the turn is not running. */
    public boolean requestStop(UUID turnId) {
        return ChatRepository.withConnection(dataSource, "turn stop", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE chat_turns SET stop_requested_at = "
                    + "coalesce(stop_requested_at, now()) WHERE id = ? AND ended_at IS NULL")) {
                bind(ps, turnId);
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                bind(ps, STOP_CHANNEL, turnId.toString());
                ps.executeQuery().close();
            }
            return true;
        });
    }

    /** Running turns whose lease ran out more than {@code grace} ago (their replica is gone), locked, skipping locked ones. */
    public List<TurnRow> lockExpired(Connection c, Duration grace, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, session_id, owner, lease_until, stop_requested_at, "
                + "started_at, ended_at, extract(epoch FROM now() - lease_until) FROM chat_turns WHERE ended_at IS NULL "
                + "AND lease_until < now() - ?::interval ORDER BY lease_until LIMIT ? FOR UPDATE SKIP LOCKED")) {
            bind(ps, interval(grace), limit);
            try (ResultSet rs = ps.executeQuery()) {
                List<TurnRow> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(turn(rs));
                }
                return out;
            }
        }
    }

    /** Marks a locked turn ended by {@code finisher} (inside the caller's transaction). */
    public void markEnded(Connection c, UUID turnId, String finisher) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE chat_turns SET ended_at = now(), owner = ? WHERE id = ?")) {
            bind(ps, finisher, turnId);
            ps.executeUpdate();
        }
    }

    /** The stored content and status of a message (inside the caller's transaction), or null. */
    public String[] messageState(Connection c, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT content, status FROM chat_messages WHERE id = ?")) {
            bind(ps, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new String[] { rs.getString(1), rs.getString(2) } : null;
            }
        }
    }

    /** Forgets the events of turns that ended before {@code cutoff} (the message answers for them). */
    public int purgeEnded(Instant cutoff) {
        return ChatRepository.withConnection(dataSource, "turn purge", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM chat_turns WHERE ended_at < ?")) {
                bind(ps, cutoff.atOffset(ZoneOffset.UTC));
                return ps.executeUpdate();
            }
        });
    }

    public DataSource dataSource() {
        return dataSource;
    }

    private static TurnRow turn(ResultSet rs) throws SQLException {
        return new TurnRow(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3), instant(rs, 4),
                instant(rs, 5), instant(rs, 6), instant(rs, 7), Duration.ofMillis((long) (rs.getDouble(8) * 1000)));
    }

    private static String interval(Duration d) {
        return d.toMillis() + " milliseconds";
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is gone: nothing was committed
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

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
