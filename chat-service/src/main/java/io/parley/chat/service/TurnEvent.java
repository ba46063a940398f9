package io.parley.chat.service;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One event of a turn: {@code seq} is its position (1, 2, ...), used as the SSE id and for Last-Event-ID replay;
 * {@code name} is {@code message_start}, {@code delta}, {@code metrics}, {@code message_end} or {@code error}.
 */
public record TurnEvent(long seq, String name, JsonNode data) {

    public static final String MESSAGE_START = "message_start";
    public static final String DELTA = "delta";
    public static final String METRICS = "metrics";
    public static final String MESSAGE_END = "message_end";
    public static final String ERROR = "error";
}
