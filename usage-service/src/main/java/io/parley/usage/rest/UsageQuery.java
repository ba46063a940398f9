package io.parley.usage.rest;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;

import jakarta.ws.rs.QueryParam;

import io.parley.usage.model.UsageFilter;
import io.parley.usage.service.UsageException;

/** Query parameters shared by the usage queries: filters, paging and the output format. */
public class UsageQuery {

    private static final Set<String> STATUSES = Set.of("ok", "error", "cancelled", "client_disconnected", "interrupted");

    /** A user name (display); several users may have had it over time. */
    @QueryParam("user")
    public String user;
    /** A token subject ({@code sub}): exactly one user. */
    @QueryParam("subject")
    public String subject;
    @QueryParam("model")
    public String model;
    @QueryParam("source")
    public String source;
    @QueryParam("status")
    public String status;
    @QueryParam("correlation_id")
    public String correlationId;
    /** Inclusive lower bound, ISO-8601 date-time with offset. */
    @QueryParam("from")
    public String from;
    /** Exclusive upper bound, ISO-8601 date-time with offset. */
    @QueryParam("to")
    public String to;
    @QueryParam("limit")
    public String limit;
    @QueryParam("cursor")
    public String cursor;
    /** Summaries only: model (default), user, day or hour. */
    @QueryParam("group_by")
    public String groupBy;
    /** {@code csv} for a CSV export (as does {@code Accept: text/csv}). */
    @QueryParam("format")
    public String format;

    public UsageFilter filter() {
        Optional<String> st = present(status);
        if (st.isPresent() && !STATUSES.contains(st.get())) {
            throw UsageException.invalid("status",
                    "status must be one of ok, error, cancelled, client_disconnected, interrupted");
        }
        Optional<Instant> f = instant("from", from);
        Optional<Instant> t = instant("to", to);
        if (f.isPresent() && t.isPresent() && !f.get().isBefore(t.get())) {
            throw UsageException.invalid("to", "'to' must be after 'from'");
        }
        return new UsageFilter(present(user), present(subject), present(model), present(source), st, present(correlationId), f,
                t);
    }

    /** The page size asked for, if any. */
    public Optional<Integer> limit() {
        if (present(limit).isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(limit.trim()));
        } catch (NumberFormatException e) {
            throw UsageException.invalid("limit", "limit must be an integer");
        }
    }

    private static Optional<String> present(String value) {
        return Optional.ofNullable(value).filter(v -> !v.isBlank());
    }

    private static Optional<Instant> instant(String name, String value) {
        if (present(value).isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(value).toInstant());
        } catch (DateTimeParseException e) {
            throw UsageException.invalid(name, name + " must be an ISO-8601 date-time with offset, e.g. 2026-11-22T00:00:00Z");
        }
    }
}
