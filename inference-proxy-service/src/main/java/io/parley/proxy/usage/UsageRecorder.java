package io.parley.proxy.usage;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.proxy.config.ProxyConfig;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;

/**
 * Writes a call's usage event into the outbox, off the event loop, after the call has ended. When the insert fails (the
 * database is down) the event waits in a bounded in-memory retry queue and is written when the database is back; only
 * when that queue is full is an event dropped (counted and logged).
 */
@ApplicationScoped
public class UsageRecorder {

    private final OutboxRepository repository;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    private final Counter failures;
    private final Counter dropped;
    private final int retryCapacity;
    private final ConcurrentLinkedQueue<UsageEvent> retry = new ConcurrentLinkedQueue<>();
    private final AtomicInteger retrySize = new AtomicInteger();

    @Inject
    UsageRecorder(OutboxRepository repository, ObjectMapper mapper, Vertx vertx, MeterRegistry registry,
            ProxyConfig config) {
        this(repository, mapper, vertx, registry, config.outbox().retryCapacity());
    }

    UsageRecorder(OutboxRepository repository, ObjectMapper mapper, Vertx vertx, MeterRegistry registry,
            int retryCapacity) {
        this.repository = repository;
        this.mapper = mapper;
        this.vertx = vertx;
        this.retryCapacity = retryCapacity;
        this.failures = Counter.builder("parley_proxy_usage_outbox_write_failures")
                .description("usage event inserts into the outbox that failed (the event is queued for a retry)")
                .register(registry);
        this.dropped = Counter.builder("parley_proxy_usage_dropped")
                .description("usage events dropped because the outbox retry queue was full").register(registry);
        Gauge.builder("parley_proxy_usage_retry_queue", retrySize, AtomicInteger::get)
                .description("usage events waiting for the outbox database").register(registry);
    }

    public void record(UsageEvent event) {
        record(event, false);
    }

    /**
     * Writes the event into the outbox on a worker thread; with {@code logCall} that thread also writes the call's log
     * line, so neither the insert nor the log formatting and console write run on the relay's event loop.
     */
    public void record(UsageEvent event, boolean logCall) {
        vertx.executeBlocking(() -> {
            if (logCall) {
                logCall(event);
            }
            insert(event);
            return null;
        }, false).onFailure(e -> {
            failures.increment();
            Log.warnf("usage of request %s (correlation %s) could not be written to the outbox, queued for a retry: %s",
                    event.requestId(), event.correlationId(), e.toString());
            enqueue(event);
        });
    }

    /** Events waiting for the database. */
    public int pendingRetries() {
        return retrySize.get();
    }

    /** Writes the queued events in order; stops at the first failure (the database is still down). */
    @Scheduled(every = "${parley.proxy.outbox.retry-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void retryPending() {
        UsageEvent event;
        while ((event = retry.peek()) != null) {
            try {
                insert(event);
            } catch (Exception e) {
                Log.debugf("outbox still unavailable, %d usage event(s) waiting: %s", retrySize.get(), e.toString());
                return;
            }
            if (retry.remove(event)) {
                retrySize.decrementAndGet();
            }
        }
    }

    private void enqueue(UsageEvent event) {
        if (retrySize.incrementAndGet() > retryCapacity) {
            retrySize.decrementAndGet();
            dropped.increment();
            Log.errorf("usage of request %s (correlation %s) dropped: the outbox retry queue is full (%d)",
                    event.requestId(), event.correlationId(), retryCapacity);
            return;
        }
        retry.add(event);
    }

    private static void logCall(UsageEvent e) {
        Log.infof("[%s] %s %s model=%s status=%s tokens=%d/%d ttft_ms=%s latency_ms=%.1f", e.correlationId(),
                e.requestId(), e.endpointKind(), e.model(), e.status(), e.promptTokens(), e.completionTokens(),
                e.ttftMs() == null ? "-" : String.format("%.1f", e.ttftMs()), e.latencyMs());
    }

    private void insert(UsageEvent event) throws Exception {
        repository.insert(event.requestId(), mapper.writeValueAsString(event));
    }
}
