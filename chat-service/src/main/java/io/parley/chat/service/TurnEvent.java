package io.parley.chat.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One event of a turn: {@code seq} is its position in the turn's shared log (1, 2, ...), used as the SSE id and for
 * Last-Event-ID replay on any replica; {@code name} is {@code message_start}, {@code delta}, {@code metrics},
 * {@code error} or {@code message_end}. A {@code saving} event is not in the log: its {@code seq} is 0 (no SSE id).
 */
public record TurnEvent(long seq, String name, JsonNode data) {

    public static final String MESSAGE_START = "message_start";
    public static final String DELTA = "delta";
    public static final String REASONING = "reasoning";
    public static final String METRICS = "metrics";
    public static final String MESSAGE_END = "message_end";
    public static final String ERROR = "error";
    public static final String SAVING = "saving";

    /** The event of a typed payload. */
    public static TurnEvent of(long seq, TurnEvents.Payload payload, ObjectMapper mapper) {
        return new TurnEvent(seq, payload.eventName(), mapper.valueToTree(payload));
    }

    /** Whether this event is part of the turn's log (has an id). */
    public boolean logged() {
        return seq > 0;
    }
}
