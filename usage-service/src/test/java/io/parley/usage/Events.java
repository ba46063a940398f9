package io.parley.usage;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.parley.testsupport.TestTokens;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/** Builds usage events as the proxy sends them, and posts them. */
final class Events {

    static final String WRITER = TestTokens.service("parley-proxy", "usage-writer");
    static final String ADMIN = TestTokens.user("admin", "user", "admin");

    private Events() {
    }

    static Map<String, Object> event(String user, String model, Instant at) {
        Map<String, Object> e = new HashMap<>();
        e.put("request_id", UUID.randomUUID().toString());
        e.put("timestamp", at.toString());
        e.put("user_id", user);
        e.put("org_id", null);
        e.put("api_key_id", null);
        e.put("model", model);
        e.put("engine_type", "vllm");
        e.put("deployment", "local-simulator");
        e.put("endpoint_kind", "chat_completions");
        e.put("stream", true);
        e.put("prompt_tokens", 12);
        e.put("completion_tokens", 40);
        e.put("ttft_ms", 81.5);
        e.put("latency_ms", 930.2);
        e.put("tokens_per_sec", 47.1);
        e.put("status", "ok");
        e.put("error_type", null);
        e.put("correlation_id", "corr-" + UUID.randomUUID());
        e.put("metadata", Map.of("source", "playground"));
        e.put("source", "playground");
        e.put("attachments", List.of(Map.of("mime_type", "image/png", "size_bytes", 1234, "sha256",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")));
        return e;
    }

    static Map<String, Object> with(Map<String, Object> event, String key, Object value) {
        Map<String, Object> copy = new HashMap<>(event);
        copy.put(key, value);
        return copy;
    }

    static ValidatableResponse post(List<Map<String, Object>> events) {
        return RestAssured.given().auth().oauth2(WRITER).contentType(ContentType.JSON)
                .body(Map.of("events", events))
                .post("/v1/usage/events").then();
    }

    static void store(List<Map<String, Object>> events) {
        post(events).statusCode(200);
    }
}
