package io.parley.proxy.usage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.contracts.UsageEvent;
import io.vertx.core.Vertx;

/**
 * The usage spool keeps what the outbox cannot take, across a stop and a crash: nothing is lost, nothing is counted
 * twice (the request id is the key), and calls in flight at a crash come back as {@code interrupted}.
 */
class UsageSpoolTest {

    /** An outbox keyed by request id with the outbox's {@code on conflict do nothing}; its database can go down. */
    static class KeyedOutbox extends OutboxRepository {
        final AtomicBoolean down = new AtomicBoolean();
        final Map<String, String> rows = new ConcurrentHashMap<>();

        KeyedOutbox() {
            super(null);
        }

        @Override
        public void insert(String requestId, String eventJson) throws SQLException {
            insertAll(List.of(new Pending(requestId, eventJson)));
        }

        @Override
        public void insertAll(List<Pending> events) throws SQLException {
            if (down.get()) {
                throw new SQLException("connection refused", "08001");
            }
            events.forEach(e -> rows.putIfAbsent(e.requestId(), e.eventJson()));
        }
    }

    @TempDir
    Path dir;

    private final Vertx vertx = Vertx.vertx();
    private final ObjectMapper mapper = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    @AfterEach
    void close() {
        vertx.close();
    }

    private UsageSpool spool(long maxBytes) {
        return new UsageSpool(dir, maxBytes, true, mapper, new SimpleMeterRegistry());
    }

    private UsageRecorder recorder(KeyedOutbox outbox, UsageSpool spool) {
        return new UsageRecorder(outbox, mapper, vertx, new SimpleMeterRegistry(), 100, 0, spool);
    }

    private static UsageEvent event(String id, String status) {
        return new UsageEvent(id, "2026-12-07T00:00:00Z", "alice", "sub-alice", null, null, "m", null, null, "chat", true, 7, 5,
                12.0,
                80.0, 50.0, status, null, "c-" + id, Map.of(), null, List.of(), 321L);
    }

    private String status(KeyedOutbox outbox, String id) throws Exception {
        JsonNode node = mapper.readTree(outbox.rows.get(id));
        return node.path("status").asText();
    }

    private long journalFiles() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(UsageSpool.JOURNAL)).count();
        }
    }

    @Test
    void usageOfCallsEndedWhileTheDatabaseIsDownSurvivesAStopAndIsReplayedOnceOnTheNextStart() throws Exception {
        KeyedOutbox outbox = new KeyedOutbox();
        outbox.down.set(true);
        UsageSpool spool = spool(1 << 20);
        UsageRecorder recorder = recorder(outbox, spool);
        for (int i = 0; i < 20; i++) {
            recorder.record(event("r" + i, UsageEvent.OK));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> spool.pendingEvents() == 20);
        assertEquals(0, recorder.pendingRetries(), "kept on disk, not in memory");
        recorder.flush(); // SIGTERM while the database is down: before the spool, these 20 were gone

        // the next start: a new process with the same spool directory, the database back
        outbox.down.set(false);
        UsageSpool next = spool(1 << 20);
        assertEquals(20, next.pendingEvents());
        UsageRecorder again = recorder(outbox, next);
        again.retryPending();
        assertEquals(20, outbox.rows.size());
        assertEquals("ok", status(outbox, "r7"));
        again.retryPending(); // a second replay finds nothing: exactly once
        assertEquals(20, outbox.rows.size());
        assertEquals(0, next.pendingEvents());
        assertEquals(0, next.droppedTotal());
    }

    @Test
    void spooledUsageIsReplayedAsSoonAsTheDatabaseRecoversWithoutARestart() throws Exception {
        KeyedOutbox outbox = new KeyedOutbox();
        outbox.down.set(true);
        UsageSpool spool = spool(1 << 20);
        UsageRecorder recorder = recorder(outbox, spool);
        recorder.record(event("a", UsageEvent.OK));
        recorder.record(event("b", UsageEvent.CANCELLED));
        await().atMost(Duration.ofSeconds(5)).until(() -> spool.pendingEvents() == 2);
        recorder.retryPending();
        assertTrue(outbox.rows.isEmpty());

        outbox.down.set(false);
        recorder.retryPending();
        assertEquals(Map.of("a", "ok", "b", "cancelled"), Map.of("a", status(outbox, "a"), "b", status(outbox, "b")));
        assertEquals(0, spool.pendingEvents());
    }

    @Test
    void callsInFlightAtAKillAreRecordedInterruptedOnTheNextStartAndARealEndWins() throws Exception {
        KeyedOutbox outbox = new KeyedOutbox();
        UsageSpool spool = spool(1 << 20);
        UsageRecorder recorder = recorder(outbox, spool);
        UsageSpool.Ticket ended = recorder.started(event("ended", UsageEvent.INTERRUPTED));
        UsageSpool.Ticket inFlight1 = recorder.started(event("in-flight-1", UsageEvent.INTERRUPTED));
        UsageSpool.Ticket inFlight2 = recorder.started(event("in-flight-2", UsageEvent.INTERRUPTED));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> ended.written() && inFlight1.written() && inFlight2.written());
        recorder.record(event("ended", UsageEvent.OK), false, ended);
        await().atMost(Duration.ofSeconds(5)).until(() -> outbox.rows.containsKey("ended"));
        // kill -9 now: nothing of the process runs any more; the journal is on disk

        UsageSpool next = spool(1 << 20);
        recorder(outbox, next).retryPending();
        assertEquals(3, outbox.rows.size());
        assertEquals("interrupted", status(outbox, "in-flight-1"));
        assertEquals("interrupted", status(outbox, "in-flight-2"));
        assertEquals("ok", status(outbox, "ended"), "the real end reached the outbox first and stays");
        assertEquals(0, journalFiles(), "the earlier run's journal is replayed and deleted");
    }

    @Test
    void journalSegmentsOfEndedCallsAreDeletedSoTheSpoolStaysSmall() throws Exception {
        KeyedOutbox outbox = new KeyedOutbox();
        UsageSpool spool = spool(64 * 1024 * 16); // segments of 64 KiB
        UsageRecorder recorder = recorder(outbox, spool);
        for (int i = 0; i < 2000; i++) {
            UsageSpool.Ticket t = recorder.started(event("s" + i, UsageEvent.INTERRUPTED));
            recorder.record(event("s" + i, UsageEvent.OK), false, t);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> outbox.rows.size() == 2000);
        recorder.flush();
        assertEquals(0, journalFiles(), "a clean stop leaves no journal behind");
        assertEquals(0, spool(1 << 20).pendingEvents());
    }

    @Test
    void aSpoolThatCannotWriteNeverBlocksServingCountsItsFailuresAndKeepsUsageInMemory() throws Exception {
        KeyedOutbox outbox = new KeyedOutbox();
        outbox.down.set(true);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        UsageSpool full = new UsageSpool(dir, 10, true, mapper, meters); // "disk full": 10 bytes
        UsageRecorder recorder = new UsageRecorder(outbox, mapper, vertx, meters, 100, 0, full);
        UsageSpool.Ticket t = recorder.started(event("x", UsageEvent.INTERRUPTED)); // returns at once
        recorder.record(event("x", UsageEvent.OK), false, t);
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.pendingRetries() == 1);
        assertTrue(meters.counter("parley_proxy_usage_spool_write_failures").count() >= 1);
        assertEquals(0, full.droppedTotal());

        outbox.down.set(false);
        recorder.retryPending();
        assertEquals("ok", status(outbox, "x"));
        assertEquals(0, recorder.pendingRetries());
    }

    @Test
    void usageThatCouldNotBeKeptIsCountedAndTheCountSurvivesARestart() throws Exception {
        KeyedOutbox outbox = new KeyedOutbox();
        outbox.down.set(true);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        UsageSpool full = new UsageSpool(dir, 10, true, mapper, meters);
        UsageRecorder recorder = new UsageRecorder(outbox, mapper, vertx, meters, 1, 0, full);
        recorder.record(event("a", UsageEvent.OK));
        recorder.record(event("b", UsageEvent.OK));
        await().atMost(Duration.ofSeconds(5)).until(() -> full.droppedTotal() == 1);
        recorder.flush(); // "a" still waits in memory, the database and the spool cannot take it: lost at the stop
        assertEquals(2, full.droppedTotal());

        SimpleMeterRegistry after = new SimpleMeterRegistry();
        UsageSpool restarted = new UsageSpool(dir, 1 << 20, true, mapper, after);
        assertEquals(2, restarted.droppedTotal());
        assertEquals(2.0, after.counter("parley_proxy_usage_dropped").count());
        assertFalse(Files.exists(dir.resolve(UsageSpool.DROPPED_FILE + ".tmp")));
    }
}
