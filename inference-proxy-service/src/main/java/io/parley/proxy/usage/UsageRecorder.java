package io.parley.proxy.usage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.contracts.UsageEvent;
import io.parley.proxy.config.ProxyConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;

/**
 * Writes a call's usage event into the outbox, off the event loop, after the call has ended, batched with the events of
 * other calls that ended meanwhile. When the insert fails (the database is down) the events go to the local
 * {@link UsageSpool} (fsync'd) and are replayed into the outbox when it works again or on the next start; only if the
 * spool cannot take them either do they wait in a bounded in-memory retry queue, and only an overflow of that queue (or
 * what is still in it when the proxy stops) is dropped: counted in {@code parley_proxy_usage_dropped_total}, persisted
 * in the spool directory, and logged.
 */
@ApplicationScoped
public class UsageRecorder {

    private final OutboxRepository repository;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    private final Counter failures;
    private final UsageSpool spool;
    private final int retryCapacity;
    private final long writeDelayMillis;
    private final ConcurrentLinkedQueue<Queued> retry = new ConcurrentLinkedQueue<>();
    private final AtomicInteger retrySize = new AtomicInteger();

    @Inject
    UsageRecorder(OutboxRepository repository, ObjectMapper mapper, Vertx vertx, MeterRegistry registry,
            ProxyConfig config, UsageSpool spool) {
        this(repository, mapper, vertx, registry, config.outbox().retryCapacity(),
                config.outbox().writeDelay().toMillis(), spool);
    }

    UsageRecorder(OutboxRepository repository, ObjectMapper mapper, Vertx vertx, MeterRegistry registry,
            int retryCapacity) {
        this(repository, mapper, vertx, registry, retryCapacity, 0);
    }

    UsageRecorder(OutboxRepository repository, ObjectMapper mapper, Vertx vertx, MeterRegistry registry,
            int retryCapacity, long writeDelayMillis) {
        this(repository, mapper, vertx, registry, retryCapacity, writeDelayMillis,
                new UsageSpool(java.nio.file.Path.of("no-spool"), 0, false, mapper, registry));
    }

    UsageRecorder(OutboxRepository repository, ObjectMapper mapper, Vertx vertx, MeterRegistry registry,
            int retryCapacity, long writeDelayMillis, UsageSpool spool) {
        this.spool = spool;
        this.repository = repository;
        this.writeDelayMillis = writeDelayMillis;
        this.mapper = mapper;
        this.vertx = vertx;
        this.retryCapacity = retryCapacity;
        this.failures = Counter.builder("parley_proxy_usage_outbox_write_failures")
                .description("usage event inserts into the outbox that failed (the event is queued for a retry)")
                .register(registry);
        Gauge.builder("parley_proxy_usage_retry_queue", retrySize, AtomicInteger::get)
                .description("usage events waiting for the outbox database").register(registry);
    }

    public void record(UsageEvent event) {
        record(event, false, null);
    }

    public void record(UsageEvent event, boolean logCall) {
        record(event, logCall, null);
    }

    /** Journals a relayed call's start in the spool (see {@link UsageSpool#journal}); never blocks. */
    public UsageSpool.Ticket started(UsageEvent start) {
        return spool.journal(start);
    }

    /**
     * An event waiting to be written, whether its call's log line is still to be written, and its start record in the
     * spool's journal (released once the event is stored).
     */
    private record Queued(UsageEvent event, boolean logCall, UsageSpool.Ticket ticket) {
    }

    /** Events of ended calls not yet handed to the outbox; drained by at most one worker at a time. */
    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** Events per outbox transaction at most. */
    static final int MAX_BATCH = 256;

    /**
     * Queues the event for the outbox; a worker thread writes what is queued in batches (one transaction and one round
     * trip per batch), so a burst of ended calls costs one worker wake-up and a few inserts rather than one of each per
     * call. The first event of a batch waits {@code parley.proxy.outbox.write-delay} for the calls ending after it (and
     * its insert then does not compete for the CPU with the call that follows it). With {@code logCall} the worker also
     * writes the call's log line, so neither the insert nor the log formatting and console write run on the relay's
     * event loop.
     */
    public void record(UsageEvent event, boolean logCall, UsageSpool.Ticket ticket) {
        queue.add(new Queued(event, logCall, ticket));
        if (draining.compareAndSet(false, true)) {
            if (writeDelayMillis > 0) {
                vertx.setTimer(writeDelayMillis, id -> startDrain());
            } else {
                startDrain();
            }
        }
    }

    private void startDrain() {
        vertx.executeBlocking(() -> {
            drain();
            return null;
        }, false);
    }

    /**
     * On shutdown what is still queued is written on the stopping thread, first when Quarkus announces the shutdown (the
     * datasource is certainly open then), again when the bean is destroyed (calls that ended meanwhile); each event is
     * taken by one writer only.
     */
    void onShutdown(@Observes ShutdownEvent event) {
        flush();
    }

    @PreDestroy
    void flush() {
        List<Queued> batch;
        while (!(batch = take()).isEmpty()) {
            write(batch);
        }
        retryPending();
        // what still waits in memory goes to the spool for the next start; what the spool cannot take is lost
        List<Queued> left = new ArrayList<>();
        Queued q;
        while ((q = retry.poll()) != null) {
            retrySize.decrementAndGet();
            left.add(q);
        }
        if (!left.isEmpty()) {
            List<OutboxRepository.Pending> rows = rows(left);
            if (spool.keep(rows)) {
                left.forEach(l -> spool.release(l.ticket()));
            } else {
                spool.dropped(left.size());
                Log.errorf("usage of %d call(s) lost at shutdown: neither the outbox nor the spool could take it",
                        left.size());
            }
        }
        spool.close();
    }

    /** Writes batches until the queue is empty; a batch whose insert fails waits, in order, in the retry queue. */
    private void drain() {
        do {
            try {
                List<Queued> batch;
                while (!(batch = take()).isEmpty()) {
                    write(batch);
                }
            } finally {
                draining.set(false);
            }
            // an event queued after the last poll found the flag still set and left it to this worker
        } while (!queue.isEmpty() && draining.compareAndSet(false, true));
    }

    private List<Queued> take() {
        List<Queued> batch = new ArrayList<>();
        Queued q;
        while (batch.size() < MAX_BATCH && (q = queue.poll()) != null) {
            batch.add(q);
        }
        return batch;
    }

    private void write(List<Queued> batch) {
        for (Queued q : batch) {
            if (q.logCall()) {
                logCall(q.event());
            }
        }
        List<Queued> kept = new ArrayList<>(batch.size());
        List<OutboxRepository.Pending> rows = new ArrayList<>(batch.size());
        for (Queued q : batch) {
            try {
                rows.add(new OutboxRepository.Pending(q.event().requestId(), mapper.writeValueAsString(q.event())));
                kept.add(q);
            } catch (Exception e) {
                spool.dropped(1); // a retry could not serialize it either
                spool.release(q.ticket());
                Log.errorf("usage of request %s dropped: it could not be serialized: %s", q.event().requestId(),
                        e.toString());
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        try {
            if (rows.size() == 1) {
                // a call that ended alone: one autocommitted insert, one round trip (a transaction would take two)
                repository.insert(rows.get(0).requestId(), rows.get(0).eventJson());
            } else {
                repository.insertAll(rows);
            }
            kept.forEach(q -> spool.release(q.ticket()));
            outboxFailing = false;
        } catch (Exception e) {
            outboxFailing = true;
            failures.increment(kept.size());
            if (spool.keep(rows)) {
                Log.warnf("usage of %d call(s) (first: request %s) could not be written to the outbox, kept in the"
                        + " spool for a replay: %s", kept.size(), kept.get(0).event().requestId(), e.toString());
                kept.forEach(q -> spool.release(q.ticket()));
            } else {
                Log.warnf("usage of %d call(s) (first: request %s) could not be written to the outbox nor the spool,"
                        + " queued in memory for a retry: %s", kept.size(), kept.get(0).event().requestId(),
                        e.toString());
                kept.forEach(this::enqueue);
            }
        }
    }

    private List<OutboxRepository.Pending> rows(List<Queued> items) {
        List<OutboxRepository.Pending> rows = new ArrayList<>(items.size());
        for (Queued q : items) {
            try {
                rows.add(new OutboxRepository.Pending(q.event().requestId(), mapper.writeValueAsString(q.event())));
            } catch (Exception e) {
                // serialized before: cannot fail now
            }
        }
        return rows;
    }

    private volatile boolean outboxFailing;

    /** True while the last outbox insert failed (the database is down): reported in health details. */
    public boolean outboxFailing() {
        return outboxFailing;
    }

    /** Usage events lost for good, over every run (persisted in the spool directory). */
    public long droppedTotal() {
        return spool.droppedTotal();
    }

    /** Events waiting in memory for the database (those the spool could not take). */
    public int pendingRetries() {
        return retrySize.get();
    }

    /** Events waiting for the outbox in the spool. */
    public long spooled() {
        return spool.pendingEvents();
    }

    /**
     * Writes the events waiting in memory in order, then replays the spool into the outbox; stops at the first failure
     * (the database is still down).
     */
    @Scheduled(every = "${parley.proxy.outbox.retry-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    synchronized void retryPending() {
        Queued q;
        while ((q = retry.peek()) != null) {
            try {
                insert(q.event());
            } catch (Exception e) {
                Log.debugf("outbox still unavailable, %d usage event(s) waiting: %s", retrySize.get(), e.toString());
                return;
            }
            if (retry.remove(q)) {
                retrySize.decrementAndGet();
                spool.release(q.ticket());
            }
        }
        try {
            spool.replay(repository);
            outboxFailing = false;
        } catch (Exception e) {
            outboxFailing = true;
            Log.debugf("outbox still unavailable, %d spooled usage event(s) waiting: %s", spool.pendingEvents(),
                    e.toString());
        }
    }

    private void enqueue(Queued q) {
        if (retrySize.incrementAndGet() > retryCapacity) {
            retrySize.decrementAndGet();
            spool.dropped(1);
            spool.release(q.ticket());
            Log.errorf("usage of request %s (correlation %s) dropped: the outbox retry queue is full (%d)",
                    q.event().requestId(), q.event().correlationId(), retryCapacity);
            return;
        }
        retry.add(q);
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
