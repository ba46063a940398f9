package io.parley.simulator.rest;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class CompletionsTest {

    @Test
    void nonStreamingCompletionIsATextCompletionWithUsage() {
        Requests.json(Map.of("model", "echo-fast", "prompt", "Once upon a time")).post("/v1/completions").then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("id", startsWith("cmpl-"))
                .body("choices[0].text", equalTo("Once upon a time"))
                .body("choices[0].finish_reason", equalTo("stop"))
                .body("usage.prompt_tokens", equalTo(1 + 4))
                .body("usage.completion_tokens", equalTo(4))
                .body("usage.total_tokens", equalTo(9));
    }

    @Test
    void streamingCompletionSendsTextChunksAndTheUsageChunk() {
        Map<String, Object> body = Map.of("model", "fast-sim", "prompt", "Once upon a time", "stream", true,
                "max_tokens", 6, "stream_options", Map.of("include_usage", true));
        Sse sse = Sse.parse(Requests.json(body).post("/v1/completions").then().statusCode(200).extract().asString());
        assertTrue(sse.done());
        assertEquals(6, sse.choiceEvents().size(), "one chunk per token, no role chunk");
        sse.choiceEvents().forEach(c -> assertEquals("text_completion", c.get("object").asText()));
        JsonNode last = sse.choiceEvents().get(5);
        assertEquals("length", last.at("/choices/0/finish_reason").asText());
        JsonNode usage = sse.events().get(sse.events().size() - 1);
        assertEquals(6, usage.at("/usage/completion_tokens").asInt());
        assertEquals(5, usage.at("/usage/prompt_tokens").asInt());
    }
}
