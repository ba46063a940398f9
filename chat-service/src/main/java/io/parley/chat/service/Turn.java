package io.parley.chat.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.chat.client.ProxyClient;
import io.parley.chat.repository.MessageRow;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * One generation, owned by the server and not by any HTTP connection: it keeps its event log, any number of
 * subscribers (SSE, WebSocket, a resumed connection) replay that log and then follow it. A subscriber leaving does
 * not stop the turn; only {@link TurnService#stop} or the end of the upstream stream does. The turn's id is the id of
 * its assistant message.
 */
public final class Turn {

    private final UUID id;
    private final UUID sessionId;
    private final String userId;
    private final UUID userMessageId;
    private final Instant startedAt;
    private final long startedNanos = System.nanoTime();

    private final List<TurnEvent> events = new ArrayList<>();
    private final List<MultiEmitter<? super TurnEvent>> subscribers = new ArrayList<>();
    private final StringBuilder content = new StringBuilder();
    private String status = MessageRow.STREAMING;
    private boolean ending;
    private boolean ended;
    private Instant endedAt;
    private long firstDeltaNanos;
    private JsonNode usage;
    private ProxyClient.Call upstream;
    private int flushedLength;

    Turn(UUID id, UUID sessionId, String userId, UUID userMessageId, Instant startedAt) {
        this.id = id;
        this.sessionId = sessionId;
        this.userId = userId;
        this.userMessageId = userMessageId;
        this.startedAt = startedAt;
    }

    public UUID id() {
        return id;
    }

    public UUID sessionId() {
        return sessionId;
    }

    public String userId() {
        return userId;
    }

    public UUID userMessageId() {
        return userMessageId;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public synchronized String status() {
        return status;
    }

    public synchronized boolean ended() {
        return ended;
    }

    synchronized Instant endedAt() {
        return endedAt;
    }

    synchronized String content() {
        return content.toString();
    }

    synchronized JsonNode usage() {
        return usage;
    }

    synchronized long firstDeltaNanos() {
        return firstDeltaNanos;
    }

    long startedNanos() {
        return startedNanos;
    }

    synchronized void upstream(ProxyClient.Call call) {
        this.upstream = call;
    }

    synchronized ProxyClient.Call upstream() {
        return upstream;
    }

    /** Appends a delta to the content; false once the turn is ending (late chunks after a stop are dropped). */
    synchronized boolean appendDelta(String delta) {
        if (ending) {
            return false;
        }
        if (firstDeltaNanos == 0) {
            firstDeltaNanos = System.nanoTime();
        }
        content.append(delta);
        return true;
    }

    /** The content if it grew since the last call and the turn is still running, else null. */
    synchronized String unflushedContent() {
        if (ending || content.length() == flushedLength) {
            return null;
        }
        flushedLength = content.length();
        return content.toString();
    }

    synchronized void usage(JsonNode usage) {
        this.usage = usage;
    }

    /** Claims the right to end the turn with the given status; only the first caller gets true. */
    synchronized boolean beginEnd(String finalStatus) {
        if (ending) {
            return false;
        }
        ending = true;
        status = finalStatus;
        return true;
    }

    synchronized boolean ending() {
        return ending;
    }

    /** Appends an event and hands it to every current subscriber. */
    synchronized TurnEvent emit(String name, JsonNode data) {
        TurnEvent event = new TurnEvent(events.size() + 1, name, data);
        events.add(event);
        for (MultiEmitter<? super TurnEvent> s : List.copyOf(subscribers)) {
            s.emit(event);
        }
        return event;
    }

    /** Marks the turn over after its last event and completes every subscriber. */
    synchronized void close() {
        ended = true;
        endedAt = Instant.now();
        for (MultiEmitter<? super TurnEvent> s : List.copyOf(subscribers)) {
            s.complete();
        }
        subscribers.clear();
    }

    /** The events after {@code afterSeq} (0 = all), then the live ones until the turn ends. */
    public Multi<TurnEvent> events(long afterSeq) {
        return Multi.createFrom().emitter(emitter -> {
            emitter.onTermination(() -> unsubscribe(emitter));
            synchronized (this) {
                for (TurnEvent e : events) {
                    if (e.seq() > afterSeq) {
                        emitter.emit(e);
                    }
                }
                if (ended) {
                    emitter.complete();
                } else {
                    subscribers.add(emitter);
                }
            }
        });
    }

    private synchronized void unsubscribe(MultiEmitter<? super TurnEvent> emitter) {
        subscribers.remove(emitter);
    }
}
