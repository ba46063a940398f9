package io.parley.usage.model;

import java.time.Instant;
import java.util.List;

/** Answer of the summary endpoints: one row per group plus the totals of the whole filtered view. */
public record Summary(String groupBy, Instant from, Instant to, List<SummaryRow> groups, SummaryRow totals) {
}
