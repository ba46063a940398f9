package io.parley.chat.service;

import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The typed payloads of a turn's events (design §5), serialized with the application's snake_case mapper into the
 * {@code data} of SSE events, WebSocket messages and the shared turn log. Field order is the wire order.
 */
public final class TurnEvents {

    private TurnEvents() {
    }

    /** A payload knows its event name. */
    public sealed interface Payload permits MessageStart, Delta, Reasoning, Metrics, Error, MessageEnd, Saving {
        String eventName();
    }

    /** {@code message_start}: the assistant message exists (as {@code streaming}). */
    public record MessageStart(UUID id, String role, String createdAt, UUID turnId, UUID sessionId, UUID parentId)
            implements
                Payload {
        @Override
        public String eventName() {
            return TurnEvent.MESSAGE_START;
        }
    }

    /** {@code delta}: more text of the answer (several upstream chunks coalesced into one). */
    public record Delta(UUID id, String content) implements Payload {
        @Override
        public String eventName() {
            return TurnEvent.DELTA;
        }
    }

    /**
     * {@code reasoning}: more of the model's reasoning output (vLLM's {@code reasoning_content}, a Responses
     * {@code reasoning_text} delta, an Anthropic {@code thinking_delta}), kept apart from the answer's text.
     */
    public record Reasoning(UUID id, String content) implements Payload {
        @Override
        public String eventName() {
            return TurnEvent.REASONING;
        }
    }

    /**
     * {@code metrics}, also stored as the message's {@code metrics_json}: server truth from the proxy's usage when
     * present, else measured by the replica that ran the turn; null when unknown.
     */
    public record Metrics(Double ttftMs, Double latencyMs, Double tokensPerSec, Integer promptTokens,
            Integer completionTokens, Integer reasoningTokens) implements Payload {

        public Metrics(Double ttftMs, Double latencyMs, Double tokensPerSec, Integer promptTokens,
                Integer completionTokens) {
            this(ttftMs, latencyMs, tokensPerSec, promptTokens, completionTokens, null);
        }

        @Override
        public String eventName() {
            return TurnEvent.METRICS;
        }
    }

    /** {@code error}: why the turn failed (sent before its {@code message_end}). */
    public record Error(UUID id, String message, String type) implements Payload {
        @Override
        public String eventName() {
            return TurnEvent.ERROR;
        }
    }

    /**
     * {@code message_end}: the final state, sent only once it is committed; {@code reasoning} is the whole reasoning
     * output (null when the model sent none).
     */
    public record MessageEnd(UUID id, String content, JsonNode usage, JsonNode metrics, String status, String error,
            String reasoning) implements Payload {

        public MessageEnd(UUID id, String content, JsonNode usage, JsonNode metrics, String status, String error) {
            this(id, content, usage, metrics, status, error, null);
        }

        @Override
        public String eventName() {
            return TurnEvent.MESSAGE_END;
        }
    }

    /**
     * {@code saving}: the turn has ended ({@code status}) but the database cannot store it yet; the replica keeps
     * retrying and sends {@code message_end} once it is stored. Not part of the log (it has no event id).
     */
    public record Saving(UUID id, String status, String message) implements Payload {
        @Override
        public String eventName() {
            return TurnEvent.SAVING;
        }
    }
}
