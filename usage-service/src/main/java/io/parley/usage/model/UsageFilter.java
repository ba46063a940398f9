package io.parley.usage.model;

import java.time.Instant;
import java.util.Optional;

/**
 * Filters of a usage query; {@code from} is inclusive, {@code to} exclusive. {@code user} matches the user name
 * (display, as admins know people); {@code subject} the token's {@code sub} usage is owned by (ADR 0011).
 */
public record UsageFilter(
        Optional<String> user,
        Optional<String> subject,
        Optional<String> model,
        Optional<String> source,
        Optional<String> status,
        Optional<String> correlationId,
        Optional<Instant> from,
        Optional<Instant> to) {

    /** The same filter restricted to one subject's usage (the caller's own), whatever user name it asked for. */
    public UsageFilter forSubject(String sub) {
        return new UsageFilter(Optional.empty(), Optional.of(sub), model, source, status, correlationId, from, to);
    }
}
