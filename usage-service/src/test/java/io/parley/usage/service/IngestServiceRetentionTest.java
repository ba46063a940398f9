package io.parley.usage.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.usage.config.UsageConfig;
import io.parley.usage.model.IngestResult;
import io.parley.usage.model.UsageEvent;
import io.parley.usage.repository.IdentityClaims;
import io.parley.usage.repository.UsageRepository;

/** Ingest refuses events whose day is already rolled up: their request id is gone, a redelivery would count twice. */
class IngestServiceRetentionTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final List<UsageEvent> stored = new ArrayList<>();

    private IngestService service(boolean retentionEnabled) {
        UsageRepository repository = new UsageRepository(null, mapper) {
            @Override
            public boolean[] insert(List<UsageEvent> events) {
                stored.addAll(events);
                boolean[] all = new boolean[events.size()];
                java.util.Arrays.fill(all, true);
                return all;
            }
        };
        return new IngestService(repository, new IdentityClaims(null), new EventValidator(mapper),
                config(retentionEnabled, 30),
                new SimpleMeterRegistry());
    }

    private ObjectNode event(String id, Instant at) {
        return mapper.createObjectNode().put("request_id", id).put("timestamp", at.toString()).put("model", "m")
                .put("status", "ok");
    }

    @Test
    void eventsOlderThanTheRetentionWindowAreRejectedWhenRetentionIsOn() {
        Instant now = Instant.now();
        ObjectNode body = mapper.createObjectNode();
        ArrayNode events = body.putArray("events");
        events.add(event("recent", now.minus(29, ChronoUnit.DAYS)));
        events.add(event("ancient", now.minus(40, ChronoUnit.DAYS)));

        IngestResult result = service(true).ingest(body);

        assertEquals(1, result.accepted());
        assertEquals(1, result.rejected().size());
        assertEquals(1, result.rejected().get(0).index());
        assertTrue(result.rejected().get(0).reason().contains("retention"), result.rejected().get(0).reason());
        assertEquals(List.of("recent"), stored.stream().map(UsageEvent::requestId).toList());
    }

    @Test
    void oldEventsAreKeptWhenRetentionIsOff() {
        ObjectNode body = mapper.createObjectNode();
        body.putArray("events").add(event("ancient", Instant.now().minus(400, ChronoUnit.DAYS)));

        assertEquals(1, service(false).ingest(body).accepted());
    }

    private static UsageConfig config(boolean enabled, int days) {
        return new UsageConfig() {
            @Override
            public Ingest ingest() {
                return () -> 1000;
            }

            @Override
            public Query query() {
                return new Query() {
                    @Override
                    public int defaultLimit() {
                        return 100;
                    }

                    @Override
                    public int maxLimit() {
                        return 1000;
                    }
                };
            }

            @Override
            public Retention retention() {
                return new Retention() {
                    @Override
                    public boolean enabled() {
                        return enabled;
                    }

                    @Override
                    public int days() {
                        return days;
                    }

                    @Override
                    public String every() {
                        return "1h";
                    }

                    @Override
                    public String initialDelay() {
                        return "1m";
                    }
                };
            }
        };
    }
}
