package io.parley.proxy.usage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

/** The outbox insert failing (database down) must not lose usage: events wait in memory and are written later. */
class UsageRecorderRetryTest {

    /** An outbox whose database can be taken down; records the request ids written. */
    static class FlakyOutbox extends OutboxRepository {
        final AtomicBoolean down = new AtomicBoolean(true);
        final List<String> written = new CopyOnWriteArrayList<>();

        FlakyOutbox() {
            super(null);
        }

        @Override
        public void insert(String requestId, String eventJson) throws SQLException {
            if (down.get()) {
                throw new SQLException("connection refused");
            }
            written.add(requestId);
        }
    }

    private final Vertx vertx = Vertx.vertx();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @AfterEach
    void close() {
        vertx.close();
    }

    private static UsageEvent event(String id) {
        return new UsageEvent(id, "2026-11-22T00:00:00Z", "alice", null, null, "m", null, null, "chat", true, 1, 1, null,
                1.0, null, UsageEvent.OK, null, "c-" + id, Map.of(), null, List.of());
    }

    @Test
    void eventsWhoseInsertFailedAreWrittenInOrderOnceTheDatabaseIsBack() {
        FlakyOutbox outbox = new FlakyOutbox();
        UsageRecorder recorder = new UsageRecorder(outbox, new ObjectMapper(), vertx, meters, 100);
        recorder.record(event("a"));
        recorder.record(event("b"));
        recorder.record(event("c"));
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.pendingRetries() == 3);

        recorder.retryPending(); // still down: nothing lost, nothing written
        assertEquals(3, recorder.pendingRetries());
        assertEquals(List.of(), outbox.written);

        outbox.down.set(false);
        recorder.retryPending();
        assertEquals(0, recorder.pendingRetries());
        assertEquals(3, outbox.written.size());
        assertEquals(3, Set.copyOf(outbox.written).size());
    }

    @Test
    void aFullRetryQueueDropsTheOverflowAndCountsIt() {
        FlakyOutbox outbox = new FlakyOutbox();
        UsageRecorder recorder = new UsageRecorder(outbox, new ObjectMapper(), vertx, meters, 2);
        recorder.record(event("a"));
        recorder.record(event("b"));
        recorder.record(event("c"));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> meters.counter("parley_proxy_usage_dropped").count() == 1.0);
        assertEquals(2, recorder.pendingRetries());

        outbox.down.set(false);
        recorder.retryPending();
        assertEquals(2, outbox.written.size());
    }
}
