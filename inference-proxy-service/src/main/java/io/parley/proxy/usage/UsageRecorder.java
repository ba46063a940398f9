package io.parley.proxy.usage;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;

/** Writes a call's usage event into the outbox, off the event loop. */
@ApplicationScoped
public class UsageRecorder {

    private final OutboxRepository repository;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    private final Counter failures;

    UsageRecorder(OutboxRepository repository, ObjectMapper mapper, Vertx vertx, MeterRegistry registry) {
        this.repository = repository;
        this.mapper = mapper;
        this.vertx = vertx;
        this.failures = Counter.builder("parley_proxy_usage_outbox_write_failures")
                .description("usage events that could not be written to the outbox").register(registry);
    }

    public void record(UsageEvent event) {
        vertx.executeBlocking(() -> {
            repository.insert(event.requestId(), mapper.writeValueAsString(event));
            return null;
        }, false).onFailure(e -> {
            failures.increment();
            Log.errorf(e, "usage of request %s (correlation %s) could not be written to the outbox", event.requestId(),
                    event.correlationId());
        });
    }
}
