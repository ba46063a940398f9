package io.parley.usage.repository;

/**
 * Partial aggregates of one group from one table (raw records or daily rollups), as the summary service merges them.
 * Percentiles are null when no value contributed; they are exact for raw records and for a single rollup row.
 */
public record Aggregate(
        String key,
        long calls,
        long errors,
        long cancelled,
        long promptTokens,
        long completionTokens,
        long ttftCount,
        Double ttftP50,
        Double ttftP95,
        long latencyCount,
        Double latencyP50,
        Double latencyP95,
        double tokensPerSecSum,
        long tokensPerSecCount,
        boolean rolledUp,
        boolean exactPercentiles) {
}
