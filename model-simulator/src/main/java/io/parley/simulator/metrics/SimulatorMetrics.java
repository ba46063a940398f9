package io.parley.simulator.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.simulator.config.SimulatorConfig;

/**
 * The simulator's Prometheus metrics: {@code simulator_requests_total{model,endpoint,stream}},
 * {@code simulator_active_streams}, {@code simulator_generated_tokens_total{model}},
 * {@code simulator_client_disconnects_total{model}} and {@code simulator_injected_failures_total{model,failure}}.
 * Only configured model names become tag values.
 */
@ApplicationScoped
public class SimulatorMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger activeStreams = new AtomicInteger();
    /** Per-model token counters, looked up once: they are bumped for every token on the event loop. */
    private final Map<String, Counter> tokenCounters = new ConcurrentHashMap<>();

    public SimulatorMetrics(MeterRegistry registry, SimulatorConfig config) {
        this.registry = registry;
        Gauge.builder("simulator.active.streams", activeStreams, AtomicInteger::get)
                .description("Streamed answers in progress").register(registry);
        // Counters a dashboard watches exist from the start, at zero.
        config.models().keySet().forEach(model -> {
            tokens(model, 0);
            clientDisconnects(model);
        });
    }

    public void request(String model, String endpoint, boolean stream) {
        Counter.builder("simulator.requests").description("Generation requests for served models")
                .tags("model", model, "endpoint", endpoint, "stream", Boolean.toString(stream))
                .register(registry).increment();
    }

    public void tokens(String model, int count) {
        Counter counter = tokenCounters.computeIfAbsent(model,
                m -> Counter.builder("simulator.generated.tokens").description("Completion tokens generated")
                        .tag("model", m).register(registry));
        if (count > 0) {
            counter.increment(count);
        }
    }

    public void clientDisconnect(String model) {
        clientDisconnects(model).increment();
    }

    private Counter clientDisconnects(String model) {
        return Counter.builder("simulator.client.disconnects")
                .description("Requests whose client went away before the answer was complete")
                .tag("model", model).register(registry);
    }

    public void injectedFailure(String model, String failure) {
        Counter.builder("simulator.injected.failures").description("Failures injected on purpose")
                .tags("model", model, "failure", failure).register(registry).increment();
    }

    public void streamStarted() {
        activeStreams.incrementAndGet();
    }

    public void streamEnded() {
        activeStreams.decrementAndGet();
    }

    public int activeStreams() {
        return activeStreams.get();
    }
}
