package io.parley.chat.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.DatabaseUnavailableException;
import io.parley.chat.repository.TurnRepository;
import io.quarkus.logging.Log;

/**
 * The shared turn log, writer side (ADR 0006): the turns this replica runs, and one writer thread that, at most every
 * {@code parley.turns.write-interval} (at once when it was idle), writes every event published since its last write,
 * of every turn, in one transaction with one notification (writes coalesced, not events), and then commits the final
 * state of turns that ended. While the database is away nothing is lost: events stay unwritten and
 * the final state stays in memory, the turn's subscribers get a {@code saving} event, and the writer retries; the
 * {@code message_end} is published only after the commit, so what the client is told is what is stored.
 */
@ApplicationScoped
public class TurnLog {

    private final TurnRepository repository;
    private final ReplicaIdentity replica;
    private final ObjectMapper mapper;
    private final ChatConfig config;
    private final Map<UUID, Turn> turns = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Counter writes;
    private final Counter rows;
    private final Counter failures;
    private volatile boolean signalled;
    private volatile boolean running = true;
    private volatile boolean databaseDown;
    private Thread writer;

    public TurnLog(TurnRepository repository, ReplicaIdentity replica, ObjectMapper mapper, ChatConfig config,
            MeterRegistry meters) {
        this.repository = repository;
        this.replica = replica;
        this.mapper = mapper;
        this.config = config;
        this.writes = meters.counter("parley_chat_turn_log_writes");
        this.rows = meters.counter("parley_chat_turn_log_events");
        this.failures = meters.counter("parley_chat_turn_log_write_failures");
    }

    @PostConstruct
    void startWriter() {
        writer = new Thread(this::loop, "turn-log-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Stops the writer after a last attempt at what is pending (shutdown has ended the turns by then). */
    @PreDestroy
    void stopWriter() {
        running = false;
        signal();
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void register(Turn turn) {
        turns.put(turn.id(), turn);
        signal();
    }

    /** The turn with this id if this replica runs it, else null. */
    public Turn local(UUID id) {
        return turns.get(id);
    }

    Collection<Turn> local() {
        return turns.values();
    }

    /** Whether the last write failed because the database was unreachable. */
    boolean databaseDown() {
        return databaseDown;
    }

    /** Wakes the writer (new text, a turn that ended). */
    void signal() {
        signalled = true;
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (running || hasPending()) {
            lock.lock();
            try {
                if (!signalled && running) {
                    work.await(databaseDown ? 500 : 1000, TimeUnit.MILLISECONDS);
                }
                signalled = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            boolean wrote;
            try {
                wrote = cycle();
            } catch (RuntimeException e) {
                Log.errorf(e, "turn log: write cycle failed");
                wrote = false;
            }
            if (!running && databaseDown) {
                return;
            }
            pause(wrote ? config.turns().writeInterval().toMillis() : 0);
        }
    }

    private boolean hasPending() {
        return turns.values().stream().anyMatch(t -> t.pending() != null || !t.unwritten().isEmpty());
    }

    private void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One write: append every unwritten event, then commit ended turns. True when something was written. */
    boolean cycle() {
        List<TurnRepository.EventRow> batch = new ArrayList<>();
        Map<UUID, String> partials = new java.util.HashMap<>();
        Map<Turn, Long> upTo = new java.util.HashMap<>();
        long partialEvery = config.turns().flushInterval().toNanos();
        // ended turns first: an ended turn takes no more deltas, so the batch below holds all of them before its end
        List<Turn> ended = turns.values().stream().filter(t -> t.pending() != null).toList();
        for (Turn turn : turns.values()) {
            List<TurnEvent> unwritten = turn.unwritten();
            for (TurnEvent e : unwritten) {
                batch.add(row(turn.id(), e));
            }
            if (!unwritten.isEmpty()) {
                upTo.put(turn, unwritten.get(unwritten.size() - 1).seq());
            }
            String partial = turn.partialIfDue(partialEvery);
            if (partial != null) {
                partials.put(turn.id(), partial);
            }
        }
        if (batch.isEmpty() && partials.isEmpty() && ended.isEmpty()) {
            return false;
        }
        try {
            repository.append(batch, partials);
            if (!batch.isEmpty()) {
                writes.increment();
                rows.increment(batch.size());
            }
            upTo.forEach(Turn::written);
        } catch (RuntimeException e) {
            failed(e, ended);
            return false;
        }
        for (Turn turn : ended) {
            try {
                commitEnd(turn);
            } catch (RuntimeException e) {
                failed(e, List.of(turn));
                return false;
            }
        }
        if (databaseDown) {
            databaseDown = false;
            Log.infof("turn log: the database answers again; writes resumed");
        }
        return true;
    }

    private void failed(RuntimeException e, List<Turn> ended) {
        failures.increment();
        if (!databaseDown) {
            Log.warnf("turn log: write failed, kept in memory and retried: %s", e.getMessage());
        }
        databaseDown = e instanceof DatabaseUnavailableException || databaseDown;
        for (Turn turn : ended) {
            turn.showSaving(mapper);
        }
    }

    private void commitEnd(Turn turn) {
        Turn.Final f = turn.pending();
        List<TurnRepository.EventRow> last = f.events().stream().map(e -> row(turn.id(), e)).toList();
        boolean mine = repository.finish(turn.id(), replica.id(), last, f.content(), f.status(), f.error(),
                json(f.metrics()), json(f.usage()), f.reasoning());
        if (mine) {
            turn.publishFinal(f.events());
            Log.infof("turn %s ended: %s, %d chars%s", turn.id(), f.status(), f.content().length(),
                    f.error() != null ? " (" + f.error() + ")" : "");
        } else {
            // another replica finished it (our lease ran out): what the clients are told is what it stored
            List<TurnEvent> stored = repository.events(turn.id(), turn.writtenSeq()).stream().map(this::event).toList();
            turn.publishFinal(stored);
            Log.warnf("turn %s was finished by another replica meanwhile; its stored end was published", turn.id());
        }
        turns.remove(turn.id());
    }

    TurnRepository.EventRow row(UUID turnId, TurnEvent e) {
        return new TurnRepository.EventRow(turnId, (int) e.seq(), e.name(), e.data().toString());
    }

    TurnEvent event(TurnRepository.EventRow r) {
        try {
            return new TurnEvent(r.seq(), r.name(), mapper.readTree(r.data()));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored turn event is unreadable", e);
        }
    }

    private String json(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node.toString();
    }
}
