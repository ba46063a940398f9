package io.parley.usage.model;

import java.time.Instant;
import java.util.Optional;

/** Filters of a usage query; {@code from} is inclusive, {@code to} exclusive. */
public record UsageFilter(
        Optional<String> user,
        Optional<String> model,
        Optional<String> source,
        Optional<String> status,
        Optional<String> correlationId,
        Optional<Instant> from,
        Optional<Instant> to) {

    /** The same filter restricted to one user (the caller's own usage). */
    public UsageFilter forUser(String userId) {
        return new UsageFilter(Optional.of(userId), model, source, status, correlationId, from, to);
    }
}
