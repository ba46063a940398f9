package io.parley.chat.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.ChatRepository;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.TurnRepository;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * Turns as the API sees them, on any replica (ADR 0006): start and regenerate ({@link TurnStarter}), follow a turn's
 * events (from this replica's memory when it runs the turn here, else from the shared log, live through
 * {@link TurnFeed}), stop it wherever it runs, wait for its end, and drain on shutdown.
 */
@ApplicationScoped
public class TurnService {

    /** {@code stop_result} of a stop that ended the turn. */
    public static final String STOPPED = "stopped";
    /** {@code stop_result} of a stop that found the turn already ended (its status says how). */
    public static final String ALREADY_ENDED = "already_ended";

    private final ChatRepository repository;
    private final TurnRepository turnRows;
    private final SessionService sessions;
    private final TurnStarter starter;
    private final TurnRunner runner;
    private final TurnLog log;
    private final TurnFeed feed;
    private final ChatConfig config;
    private final ObjectMapper mapper;
    private volatile long drainStarted;

    public TurnService(ChatRepository repository, TurnRepository turnRows, SessionService sessions,
            TurnStarter starter, TurnRunner runner, TurnLog log, TurnFeed feed, ChatConfig config,
            ObjectMapper mapper) {
        this.repository = repository;
        this.turnRows = turnRows;
        this.sessions = sessions;
        this.starter = starter;
        this.runner = runner;
        this.log = log;
        this.feed = feed;
        this.config = config;
        this.mapper = mapper;
    }

    /** See {@link TurnStarter#start(Caller, UUID, TurnRequest)}. */
    public UUID start(Caller caller, UUID sessionId, TurnRequest request) {
        return starter.start(caller, sessionId, request);
    }

    /** See {@link TurnStarter#start(Caller, UUID, TurnRequest, List)}. */
    public UUID start(Caller caller, UUID sessionId, TurnRequest request, List<byte[]> payloads) {
        return starter.start(caller, sessionId, request, payloads);
    }

    /** See {@link TurnStarter#regenerate(Caller, UUID, UUID)}. */
    public UUID regenerate(Caller caller, UUID sessionId, UUID messageId) {
        return starter.regenerate(caller, sessionId, messageId);
    }

    /**
     * Stops a turn wherever it runs: here, the upstream call is cancelled and the partial answer stored as
     * {@code stopped}; on another replica, the stop is recorded and notified to it, and this waits until the turn's
     * final state is stored. Answers the stored message with {@code stop_result}: {@code stopped} when this stop
     * ended it, {@code already_ended} when it had ended before (its {@code status} says how). When the end is not
     * stored within {@code parley.turns.stop-timeout}: 503, retryable (a stop is never a silent no-op).
     */
    public ObjectNode stop(Caller caller, UUID sessionId, UUID turnId) {
        sessions.require(caller, sessionId);
        MessageRow message = assistant(sessionId, turnId);
        Duration timeout = config.turns().stopTimeout();
        Turn local = log.local(turnId);
        boolean requested;
        if (local != null) {
            requested = runner.end(local, MessageRow.STOPPED, null, null);
            if (!waitFor(local.finished(), timeout)) {
                throw notConfirmed(turnId, "the answer was stopped and is being saved");
            }
        } else {
            Optional<TurnRepository.TurnRow> row = turnRows.find(turnId);
            requested = row.isPresent() && row.get().running() && turnRows.requestStop(turnId);
            if (requested && !awaitStored(sessionId, turnId, timeout)) {
                throw notConfirmed(turnId, "the stop was requested but the server running this answer has not "
                        + "confirmed it yet");
            }
        }
        message = assistant(sessionId, turnId);
        if (MessageRow.STREAMING.equals(message.status())) {
            throw notConfirmed(turnId, "the answer is still being saved");
        }
        boolean stoppedByThis = requested && MessageRow.STOPPED.equals(message.status());
        Log.infof("turn %s: stop %s (%s)", turnId, stoppedByThis ? "took effect" : "found it ended", message.status());
        ObjectNode out = mapper.valueToTree(MessageView.of(message));
        out.put("stop_result", stoppedByThis ? STOPPED : ALREADY_ENDED);
        return out;
    }

    private static ApiException notConfirmed(UUID turnId, String what) {
        return new ApiException(503, "server_error", "stop_pending", null, what + ": retry the stop");
    }

    private MessageRow assistant(UUID sessionId, UUID turnId) {
        return repository.findMessage(sessionId, turnId).filter(m -> MessageRow.ASSISTANT.equals(m.role()))
                .orElseThrow(() -> ApiException.notFound("turn"));
    }

    /**
     * The turn's events after {@code lastEventId}: from memory and live when this replica runs it; from the shared log
     * and live (notifications) when another replica runs it; for a turn whose log is gone (older than the retention),
     * synthesized from the stored message ({@code message_end} carries the whole content, so a client that resumes
     * late still ends with the full answer).
     */
    public Multi<TurnEvent> events(Caller caller, UUID sessionId, UUID turnId, long lastEventId) {
        sessions.require(caller, sessionId);
        Turn turn = log.local(turnId);
        if (turn != null && turn.sessionId().equals(sessionId)) {
            return turn.events(lastEventId);
        }
        MessageRow m = assistant(sessionId, turnId);
        Optional<TurnRepository.TurnRow> row = turnRows.find(turnId);
        if (row.isPresent() && row.get().sessionId().equals(sessionId)) {
            if (row.get().running()) {
                return feed.follow(turnId, lastEventId);
            }
            List<TurnEvent> stored = turnRows.events(turnId, lastEventId).stream().map(log::event).toList();
            if (lastEventId > 0 && stored.isEmpty() || stored.stream().anyMatch(e -> TurnEvent.MESSAGE_END.equals(e.name()))) {
                return Multi.createFrom().iterable(stored);
            }
            m = assistant(sessionId, turnId);
        }
        return Multi.createFrom().iterable(storedEvents(m, lastEventId));
    }

    /**
     * The stored assistant message once the turn has ended (the non-streaming fallback), without a thread waiting for
     * it: the answer completes from the turn's own end (this replica runs it) or from its {@code message_end} event
     * (another replica does, e.g. an idempotent replay), then the message is read on a worker thread. 504
     * {@code timeout} when it has not ended within {@code parley.turns.max-duration} plus
     * {@code parley.turns.stop-timeout} (the turn's own cap and the time to store its end).
     */
    public Uni<MessageView> awaitEnd(Caller caller, UUID sessionId, UUID turnId) {
        Turn local = log.local(turnId);
        Uni<Void> ended;
        if (local != null) {
            ended = Uni.createFrom().completionStage(local.finished()).onFailure().recoverWithNull();
        } else {
            ended = events(caller, sessionId, turnId, 0).select().where(e -> TurnEvent.MESSAGE_END.equals(e.name()))
                    .toUni().replaceWithVoid();
        }
        Duration timeout = config.turns().maxDuration().plus(config.turns().stopTimeout());
        return ended.ifNoItem().after(timeout)
                .failWith(() -> ApiException.upstream(504, "timeout", "the turn did not finish in time"))
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .map(done -> {
                    sessions.require(caller, sessionId);
                    return MessageView.of(assistant(sessionId, turnId));
                });
    }

    private static boolean waitFor(CompletableFuture<Void> future, Duration timeout) {
        try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    /** Polls the stored message until it is no longer {@code streaming}; false at the timeout. */
    private boolean awaitStored(UUID sessionId, UUID turnId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Turn local = log.local(turnId);
            if (local != null) {
                return waitFor(local.finished(), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            try {
                Optional<MessageRow> m = repository.findMessage(sessionId, turnId);
                if (m.isEmpty() || !MessageRow.STREAMING.equals(m.get().status())) {
                    return true;
                }
            } catch (RuntimeException e) {
                // the database is away: keep waiting until the deadline
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private List<TurnEvent> storedEvents(MessageRow m, long lastEventId) {
        List<TurnEvent> out = new ArrayList<>();
        long seq = 0;
        out.add(TurnEvent.of(++seq, new TurnEvents.MessageStart(m.id(), m.role(), m.createdAt().toString(), m.id(),
                m.sessionId(), m.parentId()), mapper));
        if (MessageRow.STREAMING.equals(m.status())) {
            // orphaned (its turn is not running anywhere): the sweep will mark it
            return out.stream().filter(e -> e.seq() > lastEventId).toList();
        }
        if (m.reasoning() != null && !m.reasoning().isEmpty() && lastEventId == 0) {
            out.add(TurnEvent.of(++seq, new TurnEvents.Reasoning(m.id(), m.reasoning()), mapper));
        }
        if (!m.content().isEmpty() && lastEventId == 0) {
            out.add(TurnEvent.of(++seq, new TurnEvents.Delta(m.id(), m.content()), mapper));
        }
        if (MessageRow.ERROR.equals(m.status())) {
            out.add(TurnEvent.of(++seq, new TurnEvents.Error(m.id(), m.error(), "upstream_error"), mapper));
        }
        out.add(TurnEvent.of(++seq, new TurnEvents.MessageEnd(m.id(), m.content(), m.usage(), m.metrics(),
                m.status(), m.error(), m.reasoning()), mapper));
        return lastEventId == 0 ? out : out.subList(out.size() - 1, out.size());
    }

    /** SIGTERM, before the shutdown delay: readiness is going down; new turns are refused from now on. */
    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        drainStarted = System.nanoTime();
        starter.drain();
        Log.infof("shutting down: new turns are refused; %d running turn(s) may finish", log.local().size());
    }

    /**
     * On shutdown, running turns get up to {@code parley.turns.drain-timeout} after SIGTERM to finish; the rest end as
     * interrupted
     * with their partial text stored (another replica would otherwise do it once their lease runs out).
     */
    void onShutdown(@Observes ShutdownEvent event) {
        if (drainStarted == 0) {
            drainStarted = System.nanoTime();
        }
        starter.drain();
        List<Turn> running = List.copyOf(log.local());
        if (running.isEmpty()) {
            return;
        }
        Log.infof("shutting down: waiting up to %s for %d running turn(s)", config.turns().drainTimeout(),
                running.size());
        // counted from SIGTERM (the shutdown delay and the HTTP drain came first), so the pod's grace period holds
        long deadline = drainStarted + config.turns().drainTimeout().toNanos();
        for (Turn turn : running) {
            waitFor(turn.finished(), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        List<Turn> left = running.stream().filter(t -> !t.finished().isDone()).toList();
        for (Turn turn : left) {
            runner.interrupt(turn);
        }
        for (Turn turn : left) {
            if (!waitFor(turn.finished(), Duration.ofSeconds(5))) {
                Log.warnf("turn %s: not stored before shutdown; another replica finishes it when its lease runs out",
                        turn.id());
            }
        }
    }
}
