package io.parley.chat.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.client.ProxyClient;
import io.parley.chat.repository.MessageRow;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * One generation run by this replica (its owner), not by any HTTP connection. Each chunk of text from the proxy is a
 * {@code delta} event with the next sequence number: it goes into the shared log with the {@link TurnLog}'s next batch
 * (one transaction for every event of every turn since the last write), and to the subscribers on this replica once
 * that batch is committed, so no client is shown an event that a replica finishing the turn after this one's death
 * would not know. The final events ({@code metrics}, {@code error}, {@code message_end}) are formed when the turn
 * ends but published only once the final state is committed. The turn's id is the id of its assistant message.
 */
public final class Turn {

    private final UUID id;
    private final UUID sessionId;
    private final String userId;
    private final UUID userMessageId;
    private final Instant startedAt;
    private final long startedNanos = System.nanoTime();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    /** Published events (1..n), the log as this replica's subscribers saw it. */
    private final List<TurnEvent> events = new ArrayList<>();
    private final List<MultiEmitter<? super TurnEvent>> subscribers = new ArrayList<>();
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private int writtenSeq;
    /** Events 1..emittedSeq went to subscribers: only written ones, so every event a client saw is in the log. */
    private int emittedSeq;
    private int savedPartialLength;
    private long savedPartialNanos = System.nanoTime();
    private String status = MessageRow.STREAMING;
    private boolean ending;
    private boolean ended;
    private Instant endedAt;
    private long firstDeltaNanos;
    private int deltas;
    private JsonNode usage;
    private ProxyClient.Call upstream;
    /** Formed when the turn ends; committed then published by the log. */
    private Final pending;
    private boolean savingShown;

    /** The final state of an ended turn, waiting to be committed. */
    record Final(String status, String content, String error, JsonNode usage, JsonNode metrics,
            List<TurnEvent> events, String reasoning) {
    }

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

    CompletableFuture<Void> finished() {
        return finished;
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

    /** The reasoning output so far; null when the model sent none. */
    synchronized String reasoning() {
        return reasoning.isEmpty() ? null : reasoning.toString();
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

    /**
     * Appends text from the proxy and publishes it as a {@code delta} event (the next sequence number) to the
     * subscribers on this replica; the log writes it with its next batch. False once the turn is ending (late chunks
     * after a stop are dropped).
     */
    synchronized boolean appendDelta(String delta, ObjectMapper mapper) {
        if (ending) {
            return false;
        }
        if (firstDeltaNanos == 0) {
            firstDeltaNanos = System.nanoTime();
        }
        content.append(delta);
        deltas++;
        publish(new TurnEvents.Delta(id, delta), mapper);
        return true;
    }

    /** How many text deltas the turn published (the upstream's streamed chunks, one token each as vLLM sends them). */
    synchronized int deltas() {
        return deltas;
    }

    /**
     * Appends reasoning output and publishes it as a {@code reasoning} event; like {@link #appendDelta} it counts as
     * the first output for the time to first token. False once the turn is ending.
     */
    synchronized boolean appendReasoning(String delta, ObjectMapper mapper) {
        if (ending) {
            return false;
        }
        if (firstDeltaNanos == 0) {
            firstDeltaNanos = System.nanoTime();
        }
        reasoning.append(delta);
        publish(new TurnEvents.Reasoning(id, delta), mapper);
        return true;
    }

    synchronized void usage(JsonNode usage) {
        this.usage = usage;
    }

    /** Publishes an event (the next sequence number) to this replica's subscribers; it is written with the next batch. */
    synchronized TurnEvent publish(TurnEvents.Payload payload, ObjectMapper mapper) {
        TurnEvent event = TurnEvent.of(events.size() + 1, payload, mapper);
        add(event);
        return event;
    }

    private void add(TurnEvent event) {
        events.add(event);
    }

    /**
     * Hands the events up to {@code seq} to the subscribers. Only events in the shared log are shown: if this replica
     * dies, the one that finishes the turn numbers its {@code error} and {@code message_end} after the last written
     * event, which is then also the last one any client saw, so a resume with {@code Last-Event-ID} anywhere goes on
     * without a gap or a collision.
     */
    private void emitUpTo(int seq) {
        while (emittedSeq < Math.min(seq, events.size())) {
            TurnEvent e = events.get(emittedSeq++);
            for (MultiEmitter<? super TurnEvent> s : List.copyOf(subscribers)) {
                s.emit(e);
            }
        }
    }

    /** Published events not yet committed to the shared log. */
    synchronized List<TurnEvent> unwritten() {
        return events.size() > writtenSeq ? List.copyOf(events.subList(writtenSeq, events.size())) : List.of();
    }

    synchronized void written(long seq) {
        writtenSeq = (int) Math.max(writtenSeq, Math.min(seq, events.size()));
        emitUpTo(writtenSeq);
    }

    /** The last event in the shared log (and shown to subscribers). */
    synchronized int writtenSeq() {
        return writtenSeq;
    }

    /** The content to save as the message's partial text when it grew and {@code everyNanos} passed; else null. */
    synchronized String partialIfDue(long everyNanos) {
        long now = System.nanoTime();
        if (ending || content.length() == savedPartialLength || now - savedPartialNanos < everyNanos) {
            return null;
        }
        savedPartialLength = content.length();
        savedPartialNanos = now;
        return content.toString();
    }

    /** Claims the right to end the turn; only the first caller gets true. */
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

    /** Sets the final state to commit: the content is exactly the text of the published deltas. */
    synchronized Final prepareEnd(java.util.function.Function<Integer, List<TurnEvent>> finals, String error) {
        List<TurnEvent> last = finals.apply(events.size() + 1);
        TurnEvent end = last.get(last.size() - 1);
        pending = new Final(status, content.toString(), error, usage, end.data().get("metrics"), last, reasoning());
        return pending;
    }

    synchronized Final pending() {
        return pending;
    }

    /** Shows the subscribers that the turn has ended but is not stored yet (once). */
    synchronized void showSaving(ObjectMapper mapper) {
        if (savingShown || pending == null) {
            return;
        }
        savingShown = true;
        TurnEvent saving = TurnEvent.of(0, new TurnEvents.Saving(id, pending.status(),
                "the answer has ended and is being saved"), mapper);
        for (MultiEmitter<? super TurnEvent> s : List.copyOf(subscribers)) {
            s.emit(saving);
        }
    }

    /** After the final state is committed (or found committed by another replica): publishes {@code last} and closes. */
    synchronized void publishFinal(List<TurnEvent> last) {
        // events never written (another replica finished the turn first) were never shown: the log's end follows
        if (events.size() > writtenSeq) {
            events.subList(writtenSeq, events.size()).clear();
        }
        for (TurnEvent e : last) {
            if (e.seq() > events.size()) {
                add(e);
            }
        }
        writtenSeq = events.size();
        emitUpTo(writtenSeq);
        ended = true;
        endedAt = Instant.now();
        for (MultiEmitter<? super TurnEvent> s : List.copyOf(subscribers)) {
            s.complete();
        }
        subscribers.clear();
        finished.complete(null);
    }

    synchronized int lastSeq() {
        return events.size();
    }

    /** The events after {@code afterSeq} (0 = all), then the live ones until the turn ends. */
    public Multi<TurnEvent> events(long afterSeq) {
        return Multi.createFrom().emitter(emitter -> {
            emitter.onTermination(() -> unsubscribe(emitter));
            synchronized (this) {
                for (TurnEvent e : events.subList(0, emittedSeq)) {
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
