package io.parley.proxy.limits;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import io.quarkus.logging.Log;

/**
 * Rate and concurrency limits shared by the proxy's replicas through PostgreSQL, decided from memory.
 *
 * <p>
 * A call is admitted or refused from this replica's view alone (no database round trip on the call's path): requests and
 * tokens per subject in a sliding window over the current and the previous minute, and calls in flight. Every
 * {@link #sync} (each {@code limits.sync-interval}) adds what this replica admitted since the last one to
 * {@code call_limit_window} (one row per subject and minute, summed over replicas), renews this replica's leases of its
 * calls in flight in {@code call_limit_lease}, and reads back the totals of all replicas and the other replicas' calls in
 * flight whose lease has not expired. So a replica sees another's admissions at most two sync intervals late: over all
 * replicas a limit is exceeded by at most what the other replicas admitted within the last two sync intervals (the
 * replica's own admissions are counted exactly). A crashed replica's calls stop counting when its leases expire
 * ({@code limits.lease-ttl}). While the database is unreachable each replica keeps enforcing the limits on its own
 * admissions, and adds them to the shared counts once it is back.
 *
 * <p>
 * Subjects are strings such as {@code user:alice} and {@code api_key:k_123}; minutes are wall-clock minutes since the
 * epoch, so the replicas' clocks should agree to within a few seconds (NTP). Thread-safe: admissions come from every event
 * loop, {@link #sync} from one worker thread.
 */
public final class SharedLimits {

    /** The limits of one subject; 0 turns a limit off. */
    public record Limits(int requestsPerMinute, long tokensPerMinute, int maxConcurrent) {
        public boolean off() {
            return requestsPerMinute <= 0 && tokensPerMinute <= 0 && maxConcurrent <= 0;
        }
    }

    /**
     * Why a call was refused: {@code limit} is {@code requests_per_minute}, {@code tokens_per_minute} or
     * {@code concurrency}; {@code used} what the subject had used of {@code allowed}; {@code retryAfterSeconds} when
     * the call may be tried again.
     */
    public record Refusal(String subject, String limit, long allowed, long used, long retryAfterSeconds) {
    }

    private static final long MINUTE_MILLIS = 60_000;
    /** A subject not used for this long, with nothing in flight or unsynced, is forgotten. */
    private static final long IDLE_MILLIS = 3 * MINUTE_MILLIS;

    private final DataSource dataSource;
    private final String replica;
    private final Duration leaseTtl;
    private final Map<String, Subject> subjects = new ConcurrentHashMap<>();
    private long lastCleanupMinute = -1;
    private boolean failing;
    /** This replica has lease rows in the database (so a sync with nothing in flight must still delete them). */
    private boolean heldLeases;

    public SharedLimits(DataSource dataSource, String replica, Duration leaseTtl) {
        this.dataSource = dataSource;
        this.replica = replica;
        this.leaseTtl = leaseTtl;
    }

    /** One subject's counters: two window slots (this minute and the previous one) by minute parity. */
    private static final class Subject {
        final String key;
        final long[] minute = { -1, -1 };
        /** Totals of all replicas as of the last sync (this replica's synced admissions included). */
        final long[] syncedRequests = new long[2];
        final long[] syncedTokens = new long[2];
        /** This replica's admissions since the last sync. */
        final long[] pendingRequests = new long[2];
        final long[] pendingTokens = new long[2];
        int inFlight;
        int othersInFlight;
        long lastUsedMillis;
        boolean evicted;

        Subject(String key) {
            this.key = key;
        }

        /** The slot of {@code m}, reset if it still holds an older minute; -1 if it holds a newer one. */
        int slot(long m) {
            int i = (int) (m & 1);
            if (minute[i] == m) {
                return i;
            }
            if (minute[i] > m) {
                return -1;
            }
            minute[i] = m;
            syncedRequests[i] = syncedTokens[i] = pendingRequests[i] = pendingTokens[i] = 0;
            return i;
        }

        long requests(long m) {
            int i = (int) (m & 1);
            return minute[i] == m ? syncedRequests[i] + pendingRequests[i] : 0;
        }

        long tokens(long m) {
            int i = (int) (m & 1);
            return minute[i] == m ? syncedTokens[i] + pendingTokens[i] : 0;
        }
    }

    private Subject subject(String key) {
        return subjects.computeIfAbsent(key, Subject::new);
    }

    /**
     * Admits a call for every subject in {@code keys} (each with the limits at the same index) or for none: on a refusal
     * the admissions already taken are given back. Null when admitted; then {@link #release} must follow once per key.
     */
    public Refusal admit(List<String> keys, List<Limits> limits, long nowMillis) {
        for (int k = 0; k < keys.size(); k++) {
            Refusal refusal = take(keys.get(k), limits.get(k), nowMillis);
            if (refusal != null) {
                for (int j = 0; j < k; j++) {
                    untake(keys.get(j), nowMillis);
                }
                return refusal;
            }
        }
        return null;
    }

    private Refusal take(String key, Limits limits, long nowMillis) {
        while (true) {
            Subject s = subject(key);
            synchronized (s) {
                if (s.evicted) {
                    continue; // forgotten by a sync meanwhile: take the new one
                }
                long m = nowMillis / MINUTE_MILLIS;
                double elapsed = (nowMillis % MINUTE_MILLIS) / (double) MINUTE_MILLIS;
                long previous = s.requests(m - 1);
                long current = s.requests(m);
                double used = previous * (1 - elapsed) + current;
                if (limits.requestsPerMinute() > 0 && used + 1 > limits.requestsPerMinute()) {
                    return new Refusal(key, "requests_per_minute", limits.requestsPerMinute(), (long) Math.ceil(used),
                            retryAfter(previous, current, limits.requestsPerMinute() - 1, elapsed));
                }
                long previousTokens = s.tokens(m - 1);
                long currentTokens = s.tokens(m);
                double usedTokens = previousTokens * (1 - elapsed) + currentTokens;
                if (limits.tokensPerMinute() > 0 && usedTokens >= limits.tokensPerMinute()) {
                    return new Refusal(key, "tokens_per_minute", limits.tokensPerMinute(), (long) Math.ceil(usedTokens),
                            retryAfter(previousTokens, currentTokens, limits.tokensPerMinute() - 1, elapsed));
                }
                if (limits.maxConcurrent() > 0 && s.inFlight + s.othersInFlight >= limits.maxConcurrent()) {
                    return new Refusal(key, "concurrency", limits.maxConcurrent(), s.inFlight + s.othersInFlight, 1);
                }
                int i = s.slot(m);
                if (i >= 0) {
                    s.pendingRequests[i]++;
                }
                s.inFlight++;
                s.lastUsedMillis = nowMillis;
                return null;
            }
        }
    }

    /** Seconds until the sliding count {@code previous x (1 - elapsed) + current} is at most {@code room}. */
    static long retryAfter(long previous, long current, long room, double elapsed) {
        double seconds;
        if (current <= room && previous > 0) {
            double needed = 1 - (room - current) / (double) previous;
            seconds = (needed - elapsed) * 60;
        } else {
            seconds = (1 - elapsed) * 60; // not before the next minute
        }
        return Math.max(1, Math.min(60, (long) Math.ceil(seconds)));
    }

    private void untake(String key, long nowMillis) {
        Subject s = subjects.get(key);
        if (s == null) {
            return;
        }
        synchronized (s) {
            int i = s.slot(nowMillis / MINUTE_MILLIS);
            if (i >= 0 && s.pendingRequests[i] > 0) {
                s.pendingRequests[i]--;
            }
            s.inFlight = Math.max(0, s.inFlight - 1);
        }
    }

    /** The call admitted for {@code key} ended. */
    public void release(String key) {
        Subject s = subjects.get(key);
        if (s == null) {
            return;
        }
        synchronized (s) {
            s.inFlight = Math.max(0, s.inFlight - 1);
        }
    }

    /** Tokens a call of {@code key} used (prompt + completion), counted against its tokens per minute. */
    public void addTokens(String key, long tokens, long nowMillis) {
        if (tokens <= 0) {
            return;
        }
        Subject s = subject(key);
        synchronized (s) {
            int i = s.slot(nowMillis / MINUTE_MILLIS);
            if (i >= 0) {
                s.pendingTokens[i] += tokens;
            }
            s.lastUsedMillis = Math.max(s.lastUsedMillis, nowMillis);
        }
    }

    /** This replica's calls in flight for {@code key} (tests, diagnostics). */
    public int inFlight(String key) {
        Subject s = subjects.get(key);
        if (s == null) {
            return 0;
        }
        synchronized (s) {
            return s.inFlight;
        }
    }

    private record Delta(String key, long minute, long requests, long tokens) {
    }

    /**
     * Adds this replica's admissions since the last sync to the shared counts, renews its leases and reads back what all
     * replicas admitted. One transaction, a handful of statements for all subjects. False (and nothing lost: the
     * admissions stay pending) when the database is unreachable.
     */
    public boolean sync(long nowMillis) {
        long m = nowMillis / MINUTE_MILLIS;
        List<Delta> deltas = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<String> leaseKeys = new ArrayList<>();
        List<Integer> leaseCounts = new ArrayList<>();
        for (Subject s : subjects.values()) {
            synchronized (s) {
                boolean pending = false;
                for (int i = 0; i < 2; i++) {
                    if (s.minute[i] >= m - 1 && (s.pendingRequests[i] != 0 || s.pendingTokens[i] != 0)) {
                        deltas.add(new Delta(s.key, s.minute[i], s.pendingRequests[i], s.pendingTokens[i]));
                        s.syncedRequests[i] += s.pendingRequests[i];
                        s.syncedTokens[i] += s.pendingTokens[i];
                        s.pendingRequests[i] = s.pendingTokens[i] = 0;
                        pending = true;
                    }
                }
                if (!pending && s.inFlight == 0 && nowMillis - s.lastUsedMillis > IDLE_MILLIS) {
                    s.evicted = true;
                    subjects.remove(s.key, s);
                    continue;
                }
                keys.add(s.key);
                if (s.inFlight > 0) {
                    leaseKeys.add(s.key);
                    leaseCounts.add(s.inFlight);
                }
            }
        }
        if (keys.isEmpty() && !heldLeases) {
            return true; // nothing to add, renew or read: no round trip
        }
        heldLeases = !leaseKeys.isEmpty();
        Map<String, List<long[]>> windows = new HashMap<>();
        Map<String, Integer> others = new HashMap<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                write(c, deltas, leaseKeys, leaseCounts);
                read(c, keys, m, windows, others);
                if (m != lastCleanupMinute) {
                    try (PreparedStatement ps = c.prepareStatement("delete from call_limit_window where window_minute < ?");
                            Statement st = c.createStatement()) {
                        ps.setLong(1, m - 2);
                        ps.executeUpdate();
                        st.executeUpdate("delete from call_limit_lease where expires_at < now()");
                    }
                    lastCleanupMinute = m;
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            restore(deltas);
            if (!failing) {
                Log.warnf("call limits: the shared counters could not be synced (%s); each replica enforces its own "
                        + "admissions until the database is back", e.getMessage());
            }
            failing = true;
            return false;
        }
        if (failing) {
            Log.info("call limits: the shared counters are synced again");
            failing = false;
        }
        apply(keys, windows, others);
        return true;
    }

    private void write(Connection c, List<Delta> deltas, List<String> leaseKeys, List<Integer> leaseCounts)
            throws SQLException {
        if (!deltas.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into call_limit_window (subject, window_minute, requests, tokens)
                    select * from unnest(?::varchar[], ?::bigint[], ?::bigint[], ?::bigint[])
                    on conflict (subject, window_minute) do update
                    set requests = call_limit_window.requests + excluded.requests,
                        tokens = call_limit_window.tokens + excluded.tokens""")) {
                ps.setArray(1, c.createArrayOf("varchar", deltas.stream().map(Delta::key).toArray()));
                ps.setArray(2, c.createArrayOf("bigint", deltas.stream().map(Delta::minute).toArray()));
                ps.setArray(3, c.createArrayOf("bigint", deltas.stream().map(Delta::requests).toArray()));
                ps.setArray(4, c.createArrayOf("bigint", deltas.stream().map(Delta::tokens).toArray()));
                ps.executeUpdate();
            }
        }
        try (PreparedStatement delete = c.prepareStatement("delete from call_limit_lease where replica = ?")) {
            delete.setString(1, replica);
            delete.executeUpdate();
        }
        if (!leaseKeys.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    insert into call_limit_lease (replica, subject, in_flight, expires_at)
                    select ?, s, n, now() + ? * interval '1 millisecond'
                    from unnest(?::varchar[], ?::integer[]) as t(s, n)""")) {
                ps.setString(1, replica);
                ps.setLong(2, leaseTtl.toMillis());
                ps.setArray(3, c.createArrayOf("varchar", leaseKeys.toArray()));
                ps.setArray(4, c.createArrayOf("integer", leaseCounts.toArray()));
                ps.executeUpdate();
            }
        }
    }

    private void read(Connection c, List<String> keys, long m, Map<String, List<long[]>> windows,
            Map<String, Integer> others)
            throws SQLException {
        if (keys.isEmpty()) {
            return;
        }
        Array subjectsArray = c.createArrayOf("varchar", keys.toArray());
        try (PreparedStatement ps = c.prepareStatement("select subject, window_minute, requests, tokens"
                + " from call_limit_window where subject = any(?) and window_minute >= ?")) {
            ps.setArray(1, subjectsArray);
            ps.setLong(2, m - 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // [minute, requests, tokens] per subject
                    windows.computeIfAbsent(rs.getString(1), k -> new ArrayList<>(2))
                            .add(new long[] { rs.getLong(2), rs.getLong(3), rs.getLong(4) });
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("select subject, sum(in_flight) from call_limit_lease"
                + " where subject = any(?) and replica <> ? and expires_at > now() group by subject")) {
            ps.setArray(1, subjectsArray);
            ps.setString(2, replica);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    others.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
    }

    /** The totals read back replace the synced counts; what was admitted meanwhile stays pending on top. */
    private void apply(List<String> keys, Map<String, List<long[]>> windows, Map<String, Integer> others) {
        for (String key : keys) {
            Subject s = subjects.get(key);
            if (s == null) {
                continue;
            }
            synchronized (s) {
                for (long[] row : windows.getOrDefault(key, List.of())) {
                    int i = s.slot(row[0]); // -1: the slot holds a newer minute already
                    if (i >= 0) {
                        s.syncedRequests[i] = row[1];
                        s.syncedTokens[i] = row[2];
                    }
                }
                s.othersInFlight = others.getOrDefault(key, 0);
            }
        }
    }

    /** The sync failed: its deltas count as pending again (those of a window that has passed meanwhile are dropped). */
    private void restore(List<Delta> deltas) {
        for (Delta d : deltas) {
            Subject s = subjects.get(d.key());
            if (s == null) {
                continue;
            }
            synchronized (s) {
                int i = (int) (d.minute() & 1);
                if (s.minute[i] == d.minute()) {
                    s.syncedRequests[i] -= d.requests();
                    s.syncedTokens[i] -= d.tokens();
                    s.pendingRequests[i] += d.requests();
                    s.pendingTokens[i] += d.tokens();
                }
            }
        }
    }
}
