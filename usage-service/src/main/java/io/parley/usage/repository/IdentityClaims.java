package io.parley.usage.repository;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;

/**
 * Hands usage recorded without a subject (before usage was keyed by subject, or sent by an older proxy; ADR 0011) to
 * its owner: the first subject seen for a user name (from a signed-in caller or an event the proxy attributed, or one
 * an operator recorded beforehand) is kept in {@code identity_claims}, and only that subject takes the name's records
 * and rollups without a subject. A later subject with the same name (a recreated user) claims nothing, ever.
 * Blocking; each (subject, name) pair costs one transaction per process.
 */
@ApplicationScoped
public class IdentityClaims {

    private static final int MAX_REMEMBERED = 100_000;
    private static final String RECORDED = " AND EXISTS (SELECT 1 FROM identity_claims WHERE username = ? AND subject = ?)";

    private final DataSource dataSource;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    public IdentityClaims(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Records {@code subject} as the first subject of {@code name} if none is yet, claiming that name's old usage. */
    public void claim(String subject, String name) {
        if (subject == null || name == null) {
            return;
        }
        String key = subject + '\n' + name;
        if (seen.contains(key)) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                run(c, "INSERT INTO identity_claims (username, subject) VALUES (?, ?) ON CONFLICT (username) DO NOTHING",
                        name, subject);
                int records = run(c, "UPDATE usage_records SET user_sub = ? WHERE user_id = ? AND user_sub IS NULL"
                        + RECORDED, subject, name, name, subject);
                // rollups move to the subject's key, merged into a row the subject may already have for that day
                run(c, "INSERT INTO usage_daily (day, user_sub, user_id, model, source, status, calls, prompt_tokens,"
                        + " completion_tokens, ttft_count, ttft_p50_ms, ttft_p95_ms, latency_count, latency_p50_ms,"
                        + " latency_p95_ms, tokens_per_sec_sum, tokens_per_sec_count)"
                        + " SELECT day, ?, user_id, model, source, status, calls, prompt_tokens, completion_tokens,"
                        + " ttft_count, ttft_p50_ms, ttft_p95_ms, latency_count, latency_p50_ms, latency_p95_ms,"
                        + " tokens_per_sec_sum, tokens_per_sec_count FROM usage_daily"
                        + " WHERE user_sub = '' AND user_id = ?" + RECORDED + "\n" + RollupRepository.MERGE,
                        subject, name, name, subject);
                run(c, "DELETE FROM usage_daily WHERE user_sub = '' AND user_id = ?" + RECORDED, name, name, subject);
                c.commit();
                if (records > 0) {
                    Log.infof("%d usage record(s) without a subject claimed by %s", records, name);
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("recording the subject of " + name + " failed: " + e.getMessage(), e);
        }
        if (seen.size() >= MAX_REMEMBERED) {
            seen.clear();
        }
        seen.add(key);
    }

    private static int run(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }
}
