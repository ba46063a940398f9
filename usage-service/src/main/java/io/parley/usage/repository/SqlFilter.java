package io.parley.usage.repository;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import io.parley.usage.model.UsageFilter;

/** A WHERE clause with its bind values, built from a {@link UsageFilter}. Only column names are spliced into SQL. */
final class SqlFilter {

    private final StringBuilder where = new StringBuilder(" WHERE TRUE");
    private final List<Object> params = new ArrayList<>();

    /** Conditions on raw {@code usage_records}. */
    static SqlFilter raw(UsageFilter filter) {
        SqlFilter f = new SqlFilter();
        filter.user().ifPresent(v -> f.and("user_id = ?", v));
        filter.subject().ifPresent(v -> f.and("user_sub = ?", v));
        filter.model().ifPresent(v -> f.and("model = ?", v));
        filter.source().ifPresent(v -> f.and("source = ?", v));
        filter.status().ifPresent(v -> f.and("status = ?", v));
        filter.correlationId().ifPresent(v -> f.and("correlation_id = ?", v));
        filter.from().ifPresent(v -> f.and("occurred_at >= ?", OffsetDateTime.ofInstant(v, ZoneOffset.UTC)));
        filter.to().ifPresent(v -> f.and("occurred_at < ?", OffsetDateTime.ofInstant(v, ZoneOffset.UTC)));
        return f;
    }

    /**
     * Conditions on {@code usage_daily}: a rolled-up day counts when any part of it lies in [from, to). Rollups carry no
     * correlation id, so a correlation filter excludes them.
     */
    static SqlFilter daily(UsageFilter filter) {
        SqlFilter f = new SqlFilter();
        filter.user().ifPresent(v -> f.and("user_id = ?", v));
        filter.subject().ifPresent(v -> f.and("user_sub = ?", v));
        filter.model().ifPresent(v -> f.and("model = ?", v));
        filter.source().ifPresent(v -> f.and("source = ?", v));
        filter.status().ifPresent(v -> f.and("status = ?", v));
        filter.correlationId().ifPresent(v -> f.and("FALSE"));
        filter.from().ifPresent(v -> f.and("day >= (?::timestamptz AT TIME ZONE 'UTC')::date",
                OffsetDateTime.ofInstant(v, ZoneOffset.UTC)));
        filter.to().ifPresent(v -> f.and("day::timestamp AT TIME ZONE 'UTC' < ?", OffsetDateTime.ofInstant(v, ZoneOffset.UTC)));
        return f;
    }

    SqlFilter and(String condition, Object... values) {
        where.append(" AND ").append(condition);
        params.addAll(List.of(values));
        return this;
    }

    String where() {
        return where.toString();
    }

    /** Binds the values from parameter index 1; answers the next free index. */
    int bind(PreparedStatement ps) throws SQLException {
        int i = 1;
        for (Object p : params) {
            ps.setObject(i++, p);
        }
        return i;
    }
}
