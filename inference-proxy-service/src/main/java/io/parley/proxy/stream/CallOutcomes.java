package io.parley.proxy.stream;

import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.contracts.UsageEvent;
import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.limits.CallLimits;
import io.parley.proxy.metrics.ProxyMetrics;
import io.parley.proxy.usage.UsageRecorder;
import io.parley.proxy.usage.UsageSpool;

/**
 * Where a call's end goes: its usage event (exactly once per call, ADR 0010), its metrics and the tokens it used against
 * its caller's limits; and the usage of a call refused before any upstream was chosen.
 */
@ApplicationScoped
public class CallOutcomes {

    private final ProxyMetrics metrics;
    private final CallLimits limits;
    private final UsageRecorder recorder;

    CallOutcomes(ProxyMetrics metrics, CallLimits limits, UsageRecorder recorder) {
        this.metrics = metrics;
        this.limits = limits;
        this.recorder = recorder;
    }

    /** The call started relaying: its start record says {@code interrupted} until {@link #ended} replaces it. */
    UsageSpool.Ticket started(RelayRequest request, RegistryModel model) {
        return recorder.started(usage(request, model, UsageEvent.INTERRUPTED, "proxy_stopped", null, null, null,
                request.promptTokensEstimate(), 0, null));
    }

    /** The call ended with {@code status}; {@code delivered} is null when no body was started. */
    void ended(RelayRequest request, RegistryModel model, String status, String errorType, CallMeter.Summary m,
            Long delivered, UsageSpool.Ticket ticket) {
        metrics.call(model.name(), request.kind().wireName(), status, m.durationNanos(), m.promptTokens(),
                m.completionTokens());
        limits.tokensUsed(request.envelope().caller(), request.envelope().apiKeyId(),
                (long) m.promptTokens() + m.completionTokens());
        recorder.record(usage(request, model, status, errorType, m.ttftMs(), m.latencyMs(), m.tokensPerSecond(),
                m.promptTokens(), m.completionTokens(), delivered), true, ticket);
    }

    /**
     * Usage for a call that ended before any upstream was chosen (bad request, unknown or unready model); {@code model}
     * is null when the request named none.
     */
    public void rejected(CallEnvelope call, Map<String, String> metadata, String source, boolean stream, String model,
            String errorType) {
        double latencyMs = (System.nanoTime() - call.startNanos()) / 1e6;
        recorder.record(new UsageEvent(call.requestId(), call.startedAt().toString(), call.caller().name(),
                call.caller().recordedSubject().orElse(null), null, call.apiKeyId(), model, null, null,
                call.kind().wireName(), stream, 0, 0, null, latencyMs, null, UsageEvent.ERROR, errorType,
                call.correlationId(), metadata, source, List.of()));
    }

    private static UsageEvent usage(RelayRequest request, RegistryModel model, String status, String errorType,
            Double ttftMs, Double latencyMs, Double tps, int prompt, int completion, Long delivered) {
        CallEnvelope call = request.envelope();
        return new UsageEvent(call.requestId(), call.startedAt().toString(), call.caller().name(),
                call.caller().recordedSubject().orElse(null), null, call.apiKeyId(), model.name(), model.engineType(),
                model.deployment(), call.kind().wireName(), request.clientStream(), prompt, completion, ttftMs,
                latencyMs, tps, status, errorType, call.correlationId(), request.metadata(), request.source(),
                request.attachments(), delivered);
    }
}
