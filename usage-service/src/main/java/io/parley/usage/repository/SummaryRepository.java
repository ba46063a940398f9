package io.parley.usage.repository;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.usage.model.GroupBy;
import io.parley.usage.model.UsageFilter;

/**
 * Aggregating reads for summaries. Raw records are aggregated exactly ({@code percentile_cont}); daily rollups carry
 * stored per-row percentiles, combined here as a count-weighted mean.
 */
@ApplicationScoped
public class SummaryRepository {

    private final DataSource dataSource;

    public SummaryRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Group key over raw records; empty groupBy means one group for everything. */
    private static String rawKey(Optional<GroupBy> groupBy) {
        return groupBy.map(g -> switch (g) {
            case MODEL -> "model";
            case USER -> "user_id";
            case DAY -> "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
            case HOUR -> "to_char(date_trunc('hour', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:00:00\"Z\"')";
        }).orElse("NULL::text");
    }

    private static String dailyKey(GroupBy groupBy) {
        return switch (groupBy) {
            case MODEL -> "model";
            case USER -> "NULLIF(user_id, '')";
            case DAY -> "to_char(day, 'YYYY-MM-DD')";
            case HOUR -> throw new IllegalArgumentException("rollups have no hours");
        };
    }

    public List<Aggregate> raw(UsageFilter filter, Optional<GroupBy> groupBy) {
        SqlFilter f = SqlFilter.raw(filter);
        String sql = "SELECT " + rawKey(groupBy) + " AS k, count(*) AS calls,"
                + " count(*) FILTER (WHERE status = 'error') AS errors,"
                + " count(*) FILTER (WHERE status = 'cancelled') AS cancelled,"
                + " coalesce(sum(prompt_tokens), 0) AS prompt_tokens,"
                + " coalesce(sum(completion_tokens), 0) AS completion_tokens,"
                + " count(ttft_ms) AS ttft_count,"
                + " percentile_cont(0.5) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p50,"
                + " percentile_cont(0.95) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p95,"
                + " count(latency_ms) AS latency_count,"
                + " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS latency_p50,"
                + " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS latency_p95,"
                + " coalesce(sum(tokens_per_sec), 0) AS tps_sum, count(tokens_per_sec) AS tps_count, 1 AS parts"
                + " FROM usage_records" + f.where() + " GROUP BY 1";
        return query(sql, f, false);
    }

    public List<Aggregate> daily(UsageFilter filter, Optional<GroupBy> groupBy) {
        SqlFilter f = SqlFilter.daily(filter);
        String key = groupBy.map(SummaryRepository::dailyKey).orElse("NULL::text");
        String sql = "SELECT " + key + " AS k, sum(calls) AS calls,"
                + " coalesce(sum(calls) FILTER (WHERE status = 'error'), 0) AS errors,"
                + " coalesce(sum(calls) FILTER (WHERE status = 'cancelled'), 0) AS cancelled,"
                + " sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,"
                + " sum(ttft_count) AS ttft_count,"
                + " sum(ttft_p50_ms * ttft_count) / NULLIF(sum(ttft_count), 0) AS ttft_p50,"
                + " sum(ttft_p95_ms * ttft_count) / NULLIF(sum(ttft_count), 0) AS ttft_p95,"
                + " sum(latency_count) AS latency_count,"
                + " sum(latency_p50_ms * latency_count) / NULLIF(sum(latency_count), 0) AS latency_p50,"
                + " sum(latency_p95_ms * latency_count) / NULLIF(sum(latency_count), 0) AS latency_p95,"
                + " sum(tokens_per_sec_sum) AS tps_sum, sum(tokens_per_sec_count) AS tps_count, count(*) AS parts"
                + " FROM usage_daily" + f.where() + " GROUP BY 1";
        return query(sql, f, true);
    }

    private List<Aggregate> query(String sql, SqlFilter f, boolean rolledUp) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            f.bind(ps);
            List<Aggregate> result = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getLong("calls") == 0) {
                        continue;
                    }
                    result.add(new Aggregate(rs.getString("k"), rs.getLong("calls"), rs.getLong("errors"),
                            rs.getLong("cancelled"), rs.getLong("prompt_tokens"), rs.getLong("completion_tokens"),
                            rs.getLong("ttft_count"), getDouble(rs, "ttft_p50"), getDouble(rs, "ttft_p95"),
                            rs.getLong("latency_count"), getDouble(rs, "latency_p50"), getDouble(rs, "latency_p95"),
                            rs.getDouble("tps_sum"), rs.getLong("tps_count"), rolledUp,
                            rs.getLong("parts") == 1));
                }
            }
            return result;
        } catch (SQLException e) {
            throw new IllegalStateException("summarising usage failed: " + e.getMessage(), e);
        }
    }

    private static Double getDouble(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }
}
