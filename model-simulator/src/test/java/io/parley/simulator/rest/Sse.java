package io.parley.simulator.rest;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reads a complete SSE body: the JSON of every {@code data:} event, and whether it ended with [DONE]. */
record Sse(List<JsonNode> events, boolean done) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static Sse parse(String body) {
        List<JsonNode> events = new ArrayList<>();
        boolean done = false;
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            if (!block.startsWith("data: ")) {
                throw new IllegalArgumentException("not an SSE data event: " + block);
            }
            String data = block.substring("data: ".length());
            if (data.equals("[DONE]")) {
                done = true;
                continue;
            }
            try {
                events.add(MAPPER.readTree(data));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("bad JSON in event: " + data, e);
            }
        }
        return new Sse(events, done);
    }

    /** Events with at least one choice (everything but the usage event and error events). */
    List<JsonNode> choiceEvents() {
        return events.stream().filter(e -> e.path("choices").size() > 0).toList();
    }

    String content() {
        StringBuilder text = new StringBuilder();
        for (JsonNode e : choiceEvents()) {
            JsonNode choice = e.get("choices").get(0);
            text.append(choice.has("delta") ? choice.path("delta").path("content").asText("")
                    : choice.path("text").asText(""));
        }
        return text.toString();
    }
}
