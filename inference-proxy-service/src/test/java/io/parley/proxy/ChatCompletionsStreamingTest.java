package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class ChatCompletionsStreamingTest {

    @TestHTTPResource("/")
    URL base;

    static JsonObject chat(String model, boolean stream) {
        return new JsonObject().put("model", model).put("stream", stream)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
    }

    static List<String> events(String body) {
        return Arrays.stream(body.split("(?<=\n\n)")).filter(e -> !e.isBlank()).toList();
    }

    static String withoutUsageEvent(String body) {
        return events(body).stream().filter(e -> !e.contains("\"usage\":{")).collect(Collectors.joining());
    }

    static String content(String body) {
        StringBuilder text = new StringBuilder();
        for (String event : events(body)) {
            String data = event.substring("data: ".length()).trim();
            if (data.equals("[DONE]")) {
                continue;
            }
            JsonArray choices = new JsonObject(data).getJsonArray("choices");
            if (choices != null && !choices.isEmpty()) {
                JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
                if (delta != null && delta.getString("content") != null) {
                    text.append(delta.getString("content"));
                }
            }
        }
        return text.toString();
    }

    @Test
    void streamedAnswerIsRelayedChunkByChunkInOrderAndByteIdenticalExceptTheUsageChunk() throws Exception {
        JsonObject body = chat("sim-lockstep", true).put("stream_options", new JsonObject().put("include_usage", true));

        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions", body,
                Map.of("Authorization", ProxyClient.bearer()));

        assertEquals(200, result.status());
        assertEquals("text/event-stream", result.header("Content-Type"));
        assertEquals("no-cache", result.header("Cache-Control"));
        assertEquals("no", result.header("X-Accel-Buffering"));
        assertNotNull(result.header("X-Correlation-Id"));
        String requestId = result.header("X-Request-Id");
        assertNotNull(requestId);
        // the lock-step upstream sends each token only after the client saw the previous one through the proxy
        assertFalse(FakeServices.lockstepBroken.get(), "a token was held back by the proxy");
        assertTrue(result.chunks().size() >= FakeServices.TOKENS.size(), "chunks: " + result.chunks().size());
        assertEquals(String.join("", FakeServices.TOKENS), content(result.body()));

        String upstream = FakeServices.upstreamSent.get(requestId).toString();
        assertEquals(withoutUsageEvent(upstream), withoutUsageEvent(result.body()));

        String usageEvent = events(result.body()).stream().filter(e -> e.contains("\"usage\":{")).findFirst()
                .orElseThrow();
        JsonObject usage = new JsonObject(usageEvent.substring("data: ".length()).trim()).getJsonObject("usage");
        assertEquals(7, usage.getInteger("prompt_tokens"));
        assertEquals(FakeServices.TOKENS.size(), usage.getInteger("completion_tokens"));
        assertEquals(7 + FakeServices.TOKENS.size(), usage.getInteger("total_tokens"));
        assertTrue(usage.getDouble("time_to_first_token") > 0);
        assertTrue(usage.getDouble("total_latency") >= usage.getDouble("time_to_first_token"));
        assertTrue(usage.getDouble("completion_tokens_after_first_per_sec") > 0);
        assertTrue(result.body().endsWith("data: [DONE]\n\n"));
    }

    @Test
    void usageChunkIsAlwaysAskedOfTheUpstreamButDroppedWhenTheClientDidNotAskForIt() throws Exception {
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions", chat("sim-chat", true),
                Map.of("Authorization", ProxyClient.bearer()));

        assertEquals(200, result.status());
        String requestId = result.header("X-Request-Id");
        String upstream = FakeServices.upstreamSent.get(requestId).toString();
        assertTrue(upstream.contains(FakeServices.USAGE_CHUNK_MARK), "the upstream was asked for usage");
        assertFalse(result.body().contains("\"usage\""), result.body());
        assertEquals(withoutUsageEvent(upstream), result.body());
        JsonObject sentUpstream = FakeServices.upstreamRequests.stream()
                .filter(r -> r.getString("model").equals("sim-chat") && r.getBoolean("stream", false))
                .reduce((a, b) -> b).orElseThrow();
        assertEquals(true, sentUpstream.getJsonObject("stream_options").getBoolean("include_usage"));
    }

    @Test
    void nonStreamingAnswerCarriesServerMetricsInItsUsage() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(chat("sim-chat", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200)
                .header("X-Request-Id", notNullValue())
                .body("choices[0].message.content", equalTo(String.join("", FakeServices.TOKENS)))
                .body("usage.prompt_tokens", equalTo(7))
                .body("usage.completion_tokens", equalTo(FakeServices.TOKENS.size()))
                .body("usage.time_to_first_token", greaterThan(0f))
                .body("usage.total_latency", greaterThan(0f))
                .body("usage.completion_tokens_after_first_per_sec", greaterThan(0f));
    }

    @Test
    void correlationIdIsEchoedWhenGivenAndGeneratedWhenAbsent() {
        given().header("Authorization", ProxyClient.bearer()).header("X-Correlation-Id", "session-42")
                .contentType("application/json").body(chat("sim-chat", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200).header("X-Correlation-Id", equalTo("session-42"));
        given().header("Authorization", ProxyClient.bearer())
                .contentType("application/json").body(chat("sim-chat", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200).header("X-Correlation-Id", notNullValue());
    }

    @Test
    void metadataIsNotForwardedToTheUpstream() throws Exception {
        JsonObject body = chat("sim-chat", false).put("metadata", new JsonObject().put("source", "playground"));
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json").body(body.encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
        JsonObject sent = FakeServices.upstreamRequests.get(FakeServices.upstreamRequests.size() - 1);
        assertFalse(sent.containsKey("metadata"));
        assertFalse(sent.containsKey("stream_options"));
    }
}
