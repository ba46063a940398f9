package io.parley.chat.service;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.TurnRepository;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;

/**
 * Ownership of running turns (ADR 0006). Every replica renews the leases of the turns it runs (and, as a fallback for
 * a missed notification, stops those with a stop request), and finishes the turns of replicas that are gone: a turn
 * whose lease ran out more than {@code parley.turns.takeover-grace} ago is ended by whichever replica locks it first,
 * as {@code error} "interrupted: the server running this answer stopped" (or {@code stopped} if a stop was
 * requested), with the text its log holds, so it can be regenerated.
 */
@ApplicationScoped
public class LeaseKeeper {

    private final TurnRepository turns;
    private final ChatRepository messages;
    private final TurnLog log;
    private final TurnRunner runner;
    private final ReplicaIdentity replica;
    private final ChatConfig config;
    private final ObjectMapper mapper;

    public LeaseKeeper(TurnRepository turns, ChatRepository messages, TurnLog log, TurnRunner runner,
            ReplicaIdentity replica, ChatConfig config, ObjectMapper mapper) {
        this.turns = turns;
        this.messages = messages;
        this.log = log;
        this.runner = runner;
        this.replica = replica;
        this.config = config;
        this.mapper = mapper;
    }

    /** Renews this replica's leases; stops turns with a stop request; a turn no longer held here was taken over. */
    @Scheduled(every = "${parley.turns.heartbeat-interval:3s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        if (log.local().isEmpty()) {
            return;
        }
        List<TurnRepository.Held> held;
        try {
            held = turns.heartbeat(replica.id(), config.turns().lease());
        } catch (RuntimeException e) {
            Log.warnf("turn leases not renewed: %s", e.getMessage());
            return;
        }
        Set<UUID> ids = held.stream().map(TurnRepository.Held::id).collect(Collectors.toSet());
        for (TurnRepository.Held h : held) {
            Turn turn = log.local(h.id());
            if (h.stopRequested() && turn != null && runner.end(turn, MessageRow.STOPPED, null, null)) {
                Log.infof("turn %s stopped on a stop request found at the heartbeat", turn.id());
            }
        }
        for (Turn turn : log.local()) {
            if (!ids.contains(turn.id()) && !turn.ending()) {
                // another replica finished it after our lease ran out: stop calling the proxy; the log publishes
                // the end that replica stored
                Log.warnf("turn %s is no longer held by this replica; its generation is cancelled", turn.id());
                runner.interrupt(turn);
            }
        }
    }

    /** Finishes the running turns of replicas that are gone. */
    @Scheduled(every = "${parley.turns.takeover-interval:3s}", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void takeOver() {
        try {
            int n = finishExpired();
            if (n > 0) {
                Log.warnf("finished %d turn(s) of replicas that are gone, as interrupted", n);
            }
        } catch (RuntimeException e) {
            Log.debugf("turn takeover skipped: %s", e.getMessage());
        }
    }

    /** One pass of the takeover; answers how many turns it finished. */
    int finishExpired() {
        return ChatRepository.withConnection(turns.dataSource(), "turn takeover", c -> {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                int n = 0;
                for (TurnRepository.TurnRow t : turns.lockExpired(c, config.turns().takeoverGrace(), 50)) {
                    finish(c, t);
                    n++;
                }
                c.commit();
                return n;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        });
    }

    private void finish(Connection c, TurnRepository.TurnRow t) throws SQLException {
        List<TurnRepository.EventRow> stored = turns.events(c, t.id(), 0);
        String[] message = turns.messageState(c, t.id());
        turns.markEnded(c, t.id(), replica.id());
        if (message == null || !MessageRow.STREAMING.equals(message[1])) {
            return;
        }
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        int last = 0;
        boolean started = false;
        for (TurnRepository.EventRow e : stored) {
            last = e.seq();
            if (TurnEvent.DELTA.equals(e.name())) {
                text.append(log.event(e).data().path("content").asText(""));
            } else if (TurnEvent.REASONING.equals(e.name())) {
                reasoning.append(log.event(e).data().path("content").asText(""));
            }
            started |= TurnEvent.MESSAGE_START.equals(e.name());
        }
        // the log holds at least what the last partial save held; keep the longer one
        String content = message[0] != null && message[0].length() > text.length() ? message[0] : text.toString();
        boolean stopped = t.stopRequestedAt() != null;
        String status = stopped ? MessageRow.STOPPED : MessageRow.ERROR;
        String error = stopped ? null : TurnRunner.INTERRUPTED;
        List<TurnEvent> events = new ArrayList<>();
        int seq = last + 1;
        if (!started && last == 0) {
            events.add(TurnEvent.of(seq++, new TurnEvents.MessageStart(t.id(), MessageRow.ASSISTANT,
                    t.startedAt().toString(), t.id(), t.sessionId(), null), mapper));
        }
        if (!stopped) {
            events.add(TurnEvent.of(seq++, new TurnEvents.Error(t.id(), error, "interrupted"), mapper));
        }
        String thought = reasoning.isEmpty() ? null : reasoning.toString();
        events.add(TurnEvent.of(seq, new TurnEvents.MessageEnd(t.id(), content, null, null, status, error, thought),
                mapper));
        turns.finishMessage(c, t.id(), events.stream().map(e -> log.row(t.id(), e)).toList(), content, status, error,
                null, null, thought);
        Log.infof("turn %s of replica %s finished here as %s (%d chars kept)", t.id(), t.owner(), status,
                content.length());
    }

    /** Forgets the logs of turns ended longer ago than the retention; fails messages left streaming without a turn. */
    @Scheduled(every = "60s", delayed = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        try {
            turns.purgeEnded(Instant.now().minus(config.turns().retention()));
            int orphans = messages.failOrphanedStreaming(TurnRunner.INTERRUPTED, java.time.Duration.ofSeconds(30));
            if (orphans > 0) {
                Log.warnf("marked %d assistant message(s) left streaming without a running turn as interrupted",
                        orphans);
            }
        } catch (RuntimeException e) {
            Log.debugf("turn sweep skipped: %s", e.getMessage());
        }
    }
}
