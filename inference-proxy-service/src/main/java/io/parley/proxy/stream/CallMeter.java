package io.parley.proxy.stream;

import java.util.function.LongSupplier;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.contracts.UsageEvent;

/**
 * The figures of one relayed call, from its start to its end (after envoyproxy/ai-gateway's per-request metrics
 * object): time to the first content event, the token counts (the upstream's usage object when it sends one, else the
 * content events and the prompt's estimate), the token rate after the first token, and the latency as the client saw
 * it. Fed by {@link RelayCall} on the call's event loop, reading its clock ({@link System#nanoTime()} in the proxy)
 * only at the first content event, the upstream's end and the call's end; not thread-safe. What it measures ends up in the
 * usage event ({@link #summary}) and in the server's fields of the usage
 * object the client receives ({@link #addServerMetrics}).
 */
final class CallMeter {

    /** What the call's usage event and metrics carry, in the units they use. */
    record Summary(int promptTokens, int completionTokens, Double ttftMs, double latencyMs, Double tokensPerSecond,
            long durationNanos) {
    }

    private final LongSupplier clock;
    private final long startNanos;
    private final boolean streaming;
    private final int promptTokensEstimate;
    private long firstTokenNanos = -1;
    private long upstreamEndNanos = -1;
    private int contentEvents;
    private Integer promptTokens;
    private Integer completionTokens;

    CallMeter(LongSupplier clock, long startNanos, boolean streaming, int promptTokensEstimate) {
        this.clock = clock;
        this.startNanos = startNanos;
        this.streaming = streaming;
        this.promptTokensEstimate = promptTokensEstimate;
    }

    /** A content event arrived; true when it is the call's first. */
    boolean contentEvent() {
        contentEvents++;
        if (firstTokenNanos < 0) {
            firstTokenNanos = clock.getAsLong();
            return true;
        }
        return false;
    }

    /**
     * A non-streamed answer arrived whole (its usage object, if any, follows through {@link #counts}): its first token
     * time is not observable, so it is now.
     */
    void wholeAnswer() {
        firstTokenNanos = clock.getAsLong();
        upstreamEndNanos = firstTokenNanos;
    }

    /** The upstream's usage object arrived (its end): its counts win over the estimate and the event count. */
    void usage(ObjectNode usage) {
        upstreamEndNanos = clock.getAsLong();
        counts(usage);
    }

    /** The token counts of the upstream's usage object, which win over the estimate and the event count. */
    void counts(ObjectNode usage) {
        if (usage.get("prompt_tokens") != null && usage.get("prompt_tokens").canConvertToInt()) {
            promptTokens = usage.get("prompt_tokens").asInt();
        }
        if (usage.get("completion_tokens") != null && usage.get("completion_tokens").canConvertToInt()) {
            completionTokens = usage.get("completion_tokens").asInt();
        }
    }

    /** The upstream's stream ended (kept only when no usage object marked its end before). */
    void upstreamEnded() {
        if (upstreamEndNanos < 0) {
            upstreamEndNanos = clock.getAsLong();
        }
    }

    int contentEvents() {
        return contentEvents;
    }

    boolean firstTokenSeen() {
        return firstTokenNanos >= 0;
    }

    /** Nanoseconds from the call's start to its first content event; only when {@link #firstTokenSeen()}. */
    long ttftNanos() {
        return firstTokenNanos - startNanos;
    }

    /**
     * Parley's fields in the usage object the client receives (seconds, as SambaNova's servers name them), as of the
     * upstream's end ({@link #usage} or {@link #wholeAnswer} first).
     */
    void addServerMetrics(ObjectNode usage) {
        long now = upstreamEndNanos;
        usage.put("time_to_first_token", ((firstTokenNanos >= 0 ? firstTokenNanos : now) - startNanos) / 1e9);
        usage.put("total_latency", (now - startNanos) / 1e9);
        usage.put("completion_tokens_after_first_per_sec", tokensPerSecond(now));
    }

    /**
     * The call's figures when it ends now with {@code status}: latency until now (when its last byte was written, or it
     * left); the token rate up to the upstream's end, except for a cancelled call (the upstream did not end, the client
     * left).
     */
    Summary summary(String status) {
        long end = clock.getAsLong();
        long rateEnd = upstreamEndNanos >= 0 && !UsageEvent.CANCELLED.equals(status) ? upstreamEndNanos : end;
        int completion = completionTokens != null ? completionTokens : contentEvents;
        int prompt = promptTokens != null ? promptTokens : promptTokensEstimate;
        Double ttftMs = firstTokenNanos >= 0 ? (firstTokenNanos - startNanos) / 1e6 : null;
        Double tps = firstTokenNanos >= 0 ? tokensPerSecond(rateEnd) : null;
        return new Summary(prompt, completion, ttftMs, (end - startNanos) / 1e6, tps, end - startNanos);
    }

    /**
     * Completion tokens per second after the first one (streaming); for non-streaming calls the first token time is
     * unknown and the rate is over the whole call.
     */
    private double tokensPerSecond(long now) {
        int tokens = completionTokens != null ? completionTokens : contentEvents;
        if (!streaming) {
            double seconds = (now - startNanos) / 1e9;
            return seconds > 0 ? tokens / seconds : 0.0;
        }
        if (firstTokenNanos < 0 || tokens <= 1) {
            return 0.0;
        }
        double seconds = (now - firstTokenNanos) / 1e9;
        return seconds > 0 ? (tokens - 1) / seconds : 0.0;
    }
}
