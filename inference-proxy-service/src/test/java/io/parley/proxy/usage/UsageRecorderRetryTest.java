package io.parley.proxy.usage;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.contracts.UsageEvent;
import io.vertx.core.Vertx;

/**
 * Usage of ended calls is written in batches; the outbox insert failing (database down) must not lose usage: events wait
 * in memory and are written later.
 */
class UsageRecorderRetryTest {

    /** An outbox whose database can be taken down; records the request ids written. */
    static class FlakyOutbox extends OutboxRepository {
        final AtomicBoolean down = new AtomicBoolean(true);
        final List<String> written = new CopyOnWriteArrayList<>();

        /** The sizes of the batches written (a single insert counts as a batch of one), failed ones included. */
        final List<Integer> batches = new CopyOnWriteArrayList<>();
        /** While held, {@link #insertAll} waits: the calls that end meanwhile queue up behind it. */
        volatile CountDownLatch hold = new CountDownLatch(0);
        final CountDownLatch entered = new CountDownLatch(1);

        FlakyOutbox() {
            super(null);
        }

        /** An outbox whose database is up. */
        static FlakyOutbox up() {
            FlakyOutbox outbox = new FlakyOutbox();
            outbox.down.set(false);
            return outbox;
        }

        @Override
        public void insert(String requestId, String eventJson) throws SQLException {
            insertAll(List.of(new Pending(requestId, eventJson)));
        }

        @Override
        public void insertAll(List<Pending> events) throws SQLException {
            entered.countDown();
            try {
                hold.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            batches.add(events.size());
            if (down.get()) {
                throw new SQLException("connection refused");
            }
            events.forEach(e -> written.add(e.requestId()));
        }
    }

    private final Vertx vertx = Vertx.vertx();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @AfterEach
    void close() {
        vertx.close();
    }

    private static UsageEvent event(String id) {
        return new UsageEvent(id, "2026-11-22T00:00:00Z", "alice", "sub-alice", null, null, "m", null, null, "chat", true, 1, 1,
                null,
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

    /** A recorder whose worker is held inside the insert of a first event, so the events recorded next queue up. */
    private UsageRecorder recorderHeldInItsFirstInsert(FlakyOutbox outbox) throws InterruptedException {
        outbox.down.set(false);
        outbox.hold = new CountDownLatch(1);
        UsageRecorder recorder = new UsageRecorder(outbox, new ObjectMapper(), vertx, meters, 100);
        recorder.record(event("first"));
        assertTrue(outbox.entered.await(5, TimeUnit.SECONDS));
        return recorder;
    }

    @Test
    void callsThatEndWhileABatchIsBeingWrittenGoIntoTheNextBatchNotOneInsertEach() throws Exception {
        FlakyOutbox outbox = new FlakyOutbox();
        UsageRecorder recorder = recorderHeldInItsFirstInsert(outbox);
        for (int i = 0; i < 99; i++) {
            recorder.record(event("e" + i));
        }
        outbox.hold.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> outbox.written.size() == 100);

        assertEquals(List.of(1, 99), outbox.batches); // one insert for the first call, one for the 99 queued behind it
        assertEquals(100, Set.copyOf(outbox.written).size());
        assertEquals(0, recorder.pendingRetries());
    }

    @Test
    void aBatchLargerThanTheLimitIsSplitAndNothingIsLost() throws Exception {
        FlakyOutbox outbox = new FlakyOutbox();
        UsageRecorder recorder = recorderHeldInItsFirstInsert(outbox);
        int queued = UsageRecorder.MAX_BATCH + 10;
        for (int i = 0; i < queued; i++) {
            recorder.record(event("e" + i));
        }
        outbox.hold.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> outbox.written.size() == queued + 1);

        assertEquals(List.of(1, UsageRecorder.MAX_BATCH, 10), outbox.batches);
        assertEquals(queued + 1, Set.copyOf(outbox.written).size());
    }

    @Test
    void eventsRecordedWithinTheWriteDelayAreWrittenInOneBatch() {
        FlakyOutbox outbox = FlakyOutbox.up();
        UsageRecorder recorder = new UsageRecorder(outbox, new ObjectMapper(), vertx, meters, 100, 1000);
        recorder.record(event("a"));
        recorder.record(event("b"));
        recorder.record(event("c"));
        assertEquals(List.of(), outbox.written); // still waiting for calls that end after them

        await().atMost(Duration.ofSeconds(5)).until(() -> outbox.written.size() == 3);
        assertEquals(List.of(3), outbox.batches);
    }

    @Test
    void eventsStillWaitingAreWrittenOnShutdown() {
        FlakyOutbox outbox = FlakyOutbox.up();
        UsageRecorder recorder = new UsageRecorder(outbox, new ObjectMapper(), vertx, meters, 100, 60_000);
        recorder.record(event("a"));
        recorder.record(event("b"));

        recorder.flush(); // what @PreDestroy runs when the proxy stops

        assertEquals(List.of("a", "b"), outbox.written);
    }

    @Test
    void anEventThatCannotBeSerializedIsCountedAsDroppedAndTheOthersOfItsBatchAreWritten() {
        FlakyOutbox outbox = FlakyOutbox.up();
        ObjectMapper failingForB = new ObjectMapper() {
            @Override
            public String writeValueAsString(Object value) throws com.fasterxml.jackson.core.JsonProcessingException {
                if (value instanceof UsageEvent e && e.requestId().equals("b")) {
                    throw new com.fasterxml.jackson.databind.JsonMappingException(null, "cannot serialize");
                }
                return super.writeValueAsString(value);
            }
        };
        UsageRecorder recorder = new UsageRecorder(outbox, failingForB, vertx, meters, 100, 1000);
        recorder.record(event("a"));
        recorder.record(event("b"));
        recorder.record(event("c"));

        await().atMost(Duration.ofSeconds(5)).until(() -> outbox.written.size() == 2);
        assertEquals(List.of("a", "c"), outbox.written);
        assertEquals(1.0, meters.counter("parley_proxy_usage_dropped").count());
    }
}
