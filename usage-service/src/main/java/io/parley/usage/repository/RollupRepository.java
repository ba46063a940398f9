package io.parley.usage.repository;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Moves raw records of one UTC day into {@code usage_daily}. The delete and the aggregation are one statement
 * ({@code WITH moved AS (DELETE ... RETURNING ...) INSERT ... SELECT FROM moved}), so exactly the rows deleted are the
 * rows counted, even while ingest runs. A day rolled up twice (late records) is merged into its existing rows: counts
 * and sums add up, percentiles become the count-weighted mean.
 */
@ApplicationScoped
public class RollupRepository {

    private static final String MOVE_DAY = """
            WITH moved AS (
                DELETE FROM usage_records WHERE occurred_at >= ? AND occurred_at < ?
                RETURNING occurred_at, user_sub, user_id, model, source, status, prompt_tokens, completion_tokens,
                          ttft_ms, latency_ms, tokens_per_sec
            )
            INSERT INTO usage_daily (day, user_sub, user_id, model, source, status, calls, prompt_tokens, completion_tokens,
                                     ttft_count, ttft_p50_ms, ttft_p95_ms, latency_count, latency_p50_ms, latency_p95_ms,
                                     tokens_per_sec_sum, tokens_per_sec_count)
            SELECT ?::date, coalesce(user_sub, ''), coalesce(user_id, ''), model, coalesce(source, ''), status, count(*),
                   sum(prompt_tokens), sum(completion_tokens),
                   count(ttft_ms), percentile_cont(0.5) WITHIN GROUP (ORDER BY ttft_ms),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY ttft_ms),
                   count(latency_ms), percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),
                   coalesce(sum(tokens_per_sec), 0), count(tokens_per_sec)
            FROM moved
            GROUP BY 2, 3, 4, 5, 6
            """ + RollupRepository.MERGE;

    /**
     * How a rollup row joins an existing one with the same key: counts and sums add up, percentiles become the
     * count-weighted mean.
     */
    static final String MERGE = """
            ON CONFLICT (day, user_sub, user_id, model, source, status) DO UPDATE SET
                calls = usage_daily.calls + EXCLUDED.calls,
                prompt_tokens = usage_daily.prompt_tokens + EXCLUDED.prompt_tokens,
                completion_tokens = usage_daily.completion_tokens + EXCLUDED.completion_tokens,
                ttft_count = usage_daily.ttft_count + EXCLUDED.ttft_count,
                ttft_p50_ms = (coalesce(usage_daily.ttft_p50_ms * usage_daily.ttft_count, 0)
                               + coalesce(EXCLUDED.ttft_p50_ms * EXCLUDED.ttft_count, 0))
                              / NULLIF(usage_daily.ttft_count + EXCLUDED.ttft_count, 0),
                ttft_p95_ms = (coalesce(usage_daily.ttft_p95_ms * usage_daily.ttft_count, 0)
                               + coalesce(EXCLUDED.ttft_p95_ms * EXCLUDED.ttft_count, 0))
                              / NULLIF(usage_daily.ttft_count + EXCLUDED.ttft_count, 0),
                latency_count = usage_daily.latency_count + EXCLUDED.latency_count,
                latency_p50_ms = (coalesce(usage_daily.latency_p50_ms * usage_daily.latency_count, 0)
                                  + coalesce(EXCLUDED.latency_p50_ms * EXCLUDED.latency_count, 0))
                                 / NULLIF(usage_daily.latency_count + EXCLUDED.latency_count, 0),
                latency_p95_ms = (coalesce(usage_daily.latency_p95_ms * usage_daily.latency_count, 0)
                                  + coalesce(EXCLUDED.latency_p95_ms * EXCLUDED.latency_count, 0))
                                 / NULLIF(usage_daily.latency_count + EXCLUDED.latency_count, 0),
                tokens_per_sec_sum = usage_daily.tokens_per_sec_sum + EXCLUDED.tokens_per_sec_sum,
                tokens_per_sec_count = usage_daily.tokens_per_sec_count + EXCLUDED.tokens_per_sec_count,
                rolled_up_at = now()
            """;

    private final DataSource dataSource;

    public RollupRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The UTC day of the oldest raw record, if any. */
    public Optional<LocalDate> oldestRawDay() {
        String sql = "SELECT (min(occurred_at) AT TIME ZONE 'UTC')::date FROM usage_records";
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Optional.ofNullable(rs.getObject(1, LocalDate.class));
        } catch (SQLException e) {
            throw new IllegalStateException("reading the oldest usage record failed: " + e.getMessage(), e);
        }
    }

    /**
     * Rolls up and deletes the raw records of one UTC day; answers about how many raw records were moved
     * (counted just before the move, for the log).
     */
    public long moveDay(LocalDate day) {
        OffsetDateTime start = day.atStartOfDay().atOffset(ZoneOffset.UTC);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement count = c.prepareStatement(
                    "SELECT count(*) FROM usage_records WHERE occurred_at >= ? AND occurred_at < ?");
                    PreparedStatement move = c.prepareStatement(MOVE_DAY)) {
                // lock out concurrent rollups of the same day (several replicas run the job)
                try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    lock.setLong(1, 0x7061726c6579L);
                    lock.execute();
                }
                count.setObject(1, start);
                count.setObject(2, start.plusDays(1));
                long moved;
                try (ResultSet rs = count.executeQuery()) {
                    rs.next();
                    moved = rs.getLong(1);
                }
                move.setObject(1, start);
                move.setObject(2, start.plusDays(1));
                move.setObject(3, day);
                move.executeUpdate();
                c.commit();
                return moved;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("rolling up usage of " + day + " failed: " + e.getMessage(), e);
        }
    }
}
