package io.parley.chat.service;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;

/**
 * Builds the proxy's {@code /v1/chat/completions} request for a session: the system prompt, the branch of messages
 * ending at a leaf, the session's parameters and the playground envelope. The same builder feeds the real call and
 * the view-code snippets, so a snippet replays exactly what the playground sends.
 */
@ApplicationScoped
public class CompletionRequestBuilder {

    public static final String SOURCE = "playground";

    private final ObjectMapper mapper;

    public CompletionRequestBuilder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The messages from the root down to {@code leaf} (inclusive), following parent ids. */
    public static List<MessageRow> branch(List<MessageRow> all, UUID leaf) {
        Map<UUID, MessageRow> byId = new HashMap<>();
        all.forEach(m -> byId.put(m.id(), m));
        List<MessageRow> chain = new ArrayList<>();
        UUID cursor = leaf;
        while (cursor != null && byId.containsKey(cursor) && chain.size() <= all.size()) {
            MessageRow m = byId.get(cursor);
            chain.add(m);
            cursor = m.parentId();
        }
        Collections.reverse(chain);
        return chain;
    }

    public ObjectNode build(SessionRow session, List<MessageRow> branch, String user) {
        ObjectNode body = mapper.createObjectNode();
        body.put("model", session.modelName());
        ArrayNode messages = body.putArray("messages");
        JsonNode params = session.params() != null ? session.params() : mapper.createObjectNode();
        String system = params.path("system_prompt").asText("");
        if (!system.isBlank()) {
            messages.addObject().put("role", "system").put("content", system);
        }
        for (MessageRow m : branch) {
            boolean failedEmpty = !MessageRow.COMPLETE.equals(m.status()) && m.content().isEmpty();
            if (MessageRow.STREAMING.equals(m.status()) || failedEmpty) {
                continue;
            }
            messages.addObject().put("role", m.role()).put("content", m.content());
        }
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        if (params.has("temperature")) {
            body.set("temperature", params.get("temperature"));
        }
        if (params.has("top_p")) {
            body.set("top_p", params.get("top_p"));
        }
        // unset max_tokens stays unset: the serving engine's default fits the prompt into the context
        if (params.has("max_tokens")) {
            body.set("max_tokens", params.get("max_tokens"));
        }
        ObjectNode metadata = body.putObject("metadata");
        metadata.put("source", SOURCE);
        metadata.put("session_id", session.id().toString());
        metadata.put("user", user);
        return body;
    }
}
