package io.parley.chat.websocket;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.service.ApiException;
import io.parley.chat.service.Caller;
import io.parley.chat.service.TurnEvent;
import io.parley.chat.service.TurnRequest;
import io.parley.chat.service.TurnService;
import io.quarkus.logging.Log;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * The turn events over WebSocket, same events as SSE. Client messages (JSON):
 * <ul>
 * <li>{@code {"type":"turn","content":"...","idempotency_key"?,"parent_id"?,"endpoint_mode"?,"correlation_id"?,
 * "metadata"?,"overrides"?,"attachments"?,"attachment_ids"?}} starts a turn (the HTTP body's fields; large
 * attachments belong on the HTTP {@code POST});</li>
 * <li>{@code {"type":"stop","turn_id":"..."}} stops one;</li>
 * <li>{@code {"type":"resume","turn_id":"...","last_event_id":n}} replays after n and follows;</li>
 * <li>{@code {"type":"regenerate","message_id":"..."}} answers a user message again.</li>
 * </ul>
 * Server messages: {@code {"event":"message_start|delta|metrics|message_end|error|saving","id":n,"turn_id":"...",
 * "data":{...}}} ({@code id} null for {@code saving}, which is not part of the turn's log);
 * a rejected request answers {@code {"event":"error","data":{"message","type","param","code","status"}}}. Closing the
 * socket does not stop a turn. Authentication and ownership are checked at the upgrade ({@link ChatUpgradeCheck}).
 */
@WebSocket(path = "/ws/chat/{sessionId}")
public class ChatSocket {

    private final TurnService turns;
    private final ObjectMapper mapper;
    private final Map<String, Map<UUID, Cancellable>> subscriptions = new ConcurrentHashMap<>();

    public ChatSocket(TurnService turns, ObjectMapper mapper) {
        this.turns = turns;
        this.mapper = mapper;
    }

    @OnTextMessage
    void onMessage(String text, WebSocketConnection connection) {
        Caller caller = new Caller(connection.userData().get(ChatUpgradeCheck.SUBJECT),
                connection.userData().get(ChatUpgradeCheck.USER),
                connection.userData().get(ChatUpgradeCheck.TOKEN));
        UUID sessionId = UUID.fromString(connection.pathParam("sessionId"));
        try {
            JsonNode msg;
            try {
                msg = mapper.readTree(text);
            } catch (Exception e) {
                throw ApiException.badRequest(null, "message is not valid JSON");
            }
            String type = msg.path("type").asText("");
            switch (type) {
                case "turn" -> {
                    TurnRequest request = mapper.treeToValue(msg, TurnRequest.class);
                    follow(connection, turns.start(caller, sessionId, request), caller, sessionId, 0);
                }
                case "stop" -> turns.stop(caller, sessionId, uuid(msg, "turn_id"));
                case "resume" -> follow(connection, uuid(msg, "turn_id"), caller, sessionId,
                        msg.path("last_event_id").asLong(0));
                case "regenerate" -> follow(connection, turns.regenerate(caller, sessionId, uuid(msg, "message_id")),
                        caller, sessionId, 0);
                default -> throw ApiException.badRequest("type", "type must be turn, stop, resume or regenerate");
            }
        } catch (ApiException e) {
            ObjectNode error = mapper.createObjectNode();
            error.put("message", e.getMessage()).put("type", e.type()).put("param", e.param()).put("code", e.code())
                    .put("status", e.status());
            send(connection, mapper.createObjectNode().put("event", TurnEvent.ERROR).set("data", error));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            send(connection, mapper.createObjectNode().put("event", TurnEvent.ERROR).set("data",
                    mapper.createObjectNode().put("message", "invalid message: " + e.getOriginalMessage())
                            .put("type", "invalid_request_error").put("status", 400)));
        }
    }

    @OnClose
    void onClose(WebSocketConnection connection) {
        // the turns go on; only this connection stops following them
        Map<UUID, Cancellable> subs = subscriptions.remove(connection.id());
        if (subs != null) {
            subs.values().forEach(Cancellable::cancel);
        }
    }

    private void follow(WebSocketConnection connection, UUID turnId, Caller caller, UUID sessionId, long after) {
        Map<UUID, Cancellable> subs = subscriptions.computeIfAbsent(connection.id(), k -> new ConcurrentHashMap<>());
        Cancellable previous = subs.remove(turnId);
        if (previous != null) {
            previous.cancel();
        }
        Cancellable sub = turns.events(caller, sessionId, turnId, after).subscribe().with(e -> {
            ObjectNode out = mapper.createObjectNode();
            out.put("event", e.name());
            if (e.logged()) {
                out.put("id", e.seq());
            } else {
                out.putNull("id");
            }
            out.put("turn_id", turnId.toString());
            out.set("data", e.data());
            send(connection, out);
        }, failure -> Log.warnf("turn %s: websocket relay failed: %s", turnId, failure.getMessage()),
                () -> subs.remove(turnId));
        subs.put(turnId, sub);
    }

    private void send(WebSocketConnection connection, JsonNode message) {
        if (connection.isOpen()) {
            connection.sendText(message.toString()).subscribe().with(ok -> {
            }, failure -> Log.debugf("websocket send failed: %s", failure.getMessage()));
        }
    }

    private static UUID uuid(JsonNode msg, String field) {
        try {
            return UUID.fromString(msg.path(field).asText(""));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(field, field + " must be a UUID");
        }
    }
}
