package io.parley.usage.model;

/**
 * Aggregates of one summary group. Percentiles are in milliseconds; {@code percentilesExact} is false when rolled-up
 * days contributed, whose percentiles are combined approximately (count-weighted mean of stored per-day values).
 */
public record SummaryRow(
        String key,
        long calls,
        long ok,
        long errors,
        long cancelled,
        long promptTokens,
        long completionTokens,
        long totalTokens,
        Double ttftMsP50,
        Double ttftMsP95,
        Double latencyMsP50,
        Double latencyMsP95,
        Double tokensPerSecMean,
        double errorRate,
        double cancelRate,
        boolean percentilesExact) {
}
