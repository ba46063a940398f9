package io.parley.proxy.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Prometheus metrics of the proxy (on /q/metrics), tagged by model. */
@ApplicationScoped
public class ProxyMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger activeStreams = new AtomicInteger();

    ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("parley_proxy_active_streams", activeStreams, AtomicInteger::get)
                .description("calls currently relaying to an upstream").register(registry);
    }

    public void streamOpened() {
        activeStreams.incrementAndGet();
    }

    public void streamClosed() {
        activeStreams.decrementAndGet();
    }

    /** Per-model TTFT timers, looked up once: building and registering a meter on every call costs allocations. */
    private final Map<String, Timer> ttftTimers = new ConcurrentHashMap<>();

    public void ttft(String model, long nanos) {
        ttftTimers.computeIfAbsent(model, this::ttftTimer).record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer ttftTimer(String model) {
        return Timer.builder("parley_proxy_ttft").description("request received to first content delta").tag("model", model)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(120)).register(registry);
    }

    /** The meters of one (model, endpoint kind, status), registered on first use and then reused. */
    private record CallKey(String model, String endpointKind, String status) {
    }

    private record CallMeters(Timer latency, Counter requests, Counter promptTokens, Counter completionTokens) {
    }

    private final Map<CallKey, CallMeters> callMeters = new ConcurrentHashMap<>();

    public void call(String model, String endpointKind, String status, long latencyNanos, int promptTokens,
            int completionTokens) {
        CallMeters m = callMeters.computeIfAbsent(new CallKey(model, endpointKind, status), this::callMeters);
        m.latency().record(latencyNanos, TimeUnit.NANOSECONDS);
        m.requests().increment();
        if (promptTokens > 0) {
            m.promptTokens().increment(promptTokens);
        }
        if (completionTokens > 0) {
            m.completionTokens().increment(completionTokens);
        }
    }

    private CallMeters callMeters(CallKey key) {
        Timer latency = Timer.builder("parley_proxy_latency").description("request received to last byte")
                .tag("model", key.model()).tag("status", key.status()).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        Counter requests = Counter.builder("parley_proxy_requests").description("proxied calls").tag("model", key.model())
                .tag("endpoint_kind", key.endpointKind()).tag("status", key.status()).register(registry);
        Counter prompt = Counter.builder("parley_proxy_tokens").description("tokens by kind").tag("model", key.model())
                .tag("kind", "prompt").register(registry);
        Counter completion = Counter.builder("parley_proxy_tokens").description("tokens by kind")
                .tag("model", key.model()).tag("kind", "completion").register(registry);
        return new CallMeters(latency, requests, prompt, completion);
    }

    /** A call that failed on one endpoint before the first byte and is tried again on another. */
    public void upstreamRetry(String model, String reason) {
        Counter.builder("parley_proxy_upstream_retries").description("attempts retried on another endpoint before the "
                + "first byte, by the reason of the failed attempt").tag("model", model).tag("reason", reason)
                .register(registry).increment();
    }

    private record LimitKey(String limit, String scope) {
    }

    private final Map<LimitKey, Counter> limited = new ConcurrentHashMap<>();

    /**
     * A call refused or ended by one of the proxy's limits ({@code limit}: {@code requests_per_minute},
     * {@code tokens_per_minute}, {@code concurrency}, {@code max_stream_duration}; {@code scope}: {@code user},
     * {@code api_key}, {@code call}).
     */
    public void limited(String limit, String scope) {
        limited.computeIfAbsent(new LimitKey(limit, scope), k -> Counter.builder("parley_proxy_limited")
                .description("calls refused (429) or ended by a limit of the proxy").tag("limit", k.limit())
                .tag("scope", k.scope()).register(registry)).increment();
    }

    public void upstreamError(String model, String reason) {
        Counter.builder("parley_proxy_upstream_errors").description("upstream failures by reason").tag("model", model)
                .tag("reason", reason).register(registry).increment();
    }
}
