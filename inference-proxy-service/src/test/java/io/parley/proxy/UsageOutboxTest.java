package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class UsageOutboxTest {

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    @AfterEach
    void usageServiceUp() {
        FakeServices.usageDown.set(false);
    }

    @Test
    void streamedCallWritesOneOutboxRowWithItsUsageAndDeliversIt() throws Exception {
        String correlation = UUID.randomUUID().toString();
        JsonObject body = ChatCompletionsStreamingTest.chat("sim-chat", true)
                .put("metadata", new JsonObject().put("source", "playground").put("session", "s1"));
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions", body,
                Map.of("Authorization", ProxyClient.bearer(), "X-Correlation-Id", correlation));
        String requestId = result.header("X-Request-Id");

        Outbox.Row row = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byRequestId(dataSource, requestId), r -> r.isPresent()).orElseThrow();
        JsonObject event = row.event();
        assertEquals(requestId, event.getString("request_id"));
        assertEquals("alice", event.getString("user_id"));
        assertEquals("playground", event.getString("source"));
        assertEquals("s1", event.getJsonObject("metadata").getString("session"));
        assertEquals(correlation, event.getString("correlation_id"));
        assertEquals("sim-chat", event.getString("model"));
        assertEquals("fake-deployment", event.getString("deployment"));
        assertEquals("vllm", event.getString("engine_type"));
        assertEquals("chat_completions", event.getString("endpoint_kind"));
        assertEquals(true, event.getBoolean("stream"));
        assertEquals(7, event.getInteger("prompt_tokens"));
        assertEquals(FakeServices.TOKENS.size(), event.getInteger("completion_tokens"));
        assertTrue(event.getDouble("ttft_ms") > 0);
        assertTrue(event.getDouble("latency_ms") >= event.getDouble("ttft_ms"));
        assertTrue(event.getDouble("tokens_per_sec") > 0);
        assertEquals("ok", event.getString("status"));
        assertNull(event.getString("error_type"));
        assertEquals(1, Outbox.count(dataSource, correlation));

        await().atMost(Duration.ofSeconds(15)).until(() -> FakeServices.usageEvents.containsKey(requestId));
        await().atMost(Duration.ofSeconds(10)).until(() -> Outbox.byRequestId(dataSource, requestId).orElseThrow()
                .delivered());
        assertEquals("alice", FakeServices.usageEvents.get(requestId).getString("user_id"));
    }

    @Test
    void rejectedCallsAreRecordedAsErrors() {
        String correlation = UUID.randomUUID().toString();
        given().header("Authorization", ProxyClient.bearer()).header("X-Correlation-Id", correlation)
                .contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("no-such-model", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(404);

        Outbox.Row row = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow();
        assertEquals("error", row.event().getString("status"));
        assertEquals("model_not_found", row.event().getString("error_type"));
        assertEquals("no-such-model", row.event().getString("model"));
    }

    @Test
    void deliveryIsRetriedAfterUsageServiceWasDownAndNothingIsSentTwice() {
        FakeServices.usageDown.set(true);
        int failedCallsBefore = FakeServices.usageRejectedCalls.get();
        String requestId = given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(200).extract().header("X-Request-Id");

        // usage-service refuses at least one delivery attempt; the row stays pending meanwhile
        await().atMost(Duration.ofSeconds(15)).until(() -> FakeServices.usageRejectedCalls.get() > failedCallsBefore
                && Outbox.byRequestId(dataSource, requestId).map(r -> r.attempts() > 0).orElse(false));
        assertTrue(!Outbox.byRequestId(dataSource, requestId).orElseThrow().delivered());

        FakeServices.usageDown.set(false);
        await().atMost(Duration.ofSeconds(15)).until(() -> Outbox.byRequestId(dataSource, requestId).orElseThrow()
                .delivered());
        assertEquals(1, FakeServices.usageDeliveries.get(requestId).get());

        // a later call is delivered by later runs, and the first one is not sent again
        String later = given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(200).extract().header("X-Request-Id");
        await().atMost(Duration.ofSeconds(15)).until(() -> FakeServices.usageEvents.containsKey(later));
        assertEquals(1, FakeServices.usageDeliveries.get(requestId).get());
    }

    @Inject
    io.parley.proxy.usage.OutboxRepository repository;

    private static String eventJson(String requestId) {
        return new JsonObject().put("request_id", requestId).put("started_at", "2026-11-22T00:00:00Z")
                .put("model", "sim-chat").put("endpoint_kind", "chat_completions").put("stream", true)
                .put("prompt_tokens", 1).put("completion_tokens", 1).put("latency_ms", 1.0).put("status", "ok")
                .put("correlation_id", "batch-" + requestId).encode();
    }

    @Test
    void aBatchOfUsageEventsIsWrittenInOneGoAndARequestIdAlreadyThereIsNotDoubled() throws Exception {
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        repository.insert(a, eventJson(a)); // already written, e.g. by a retry that raced the batch
        repository.insertAll(java.util.List.of(new io.parley.proxy.usage.OutboxRepository.Pending(a, eventJson(a)),
                new io.parley.proxy.usage.OutboxRepository.Pending(b, eventJson(b))));

        assertEquals(1, Outbox.count(dataSource, "batch-" + a));
        assertEquals(1, Outbox.count(dataSource, "batch-" + b));
    }

    /**
     * Issue 15 "poison usage": a record PostgreSQL refuses as data (here JSON jsonb cannot parse; a {@code \u0000}
     * escape is refused the same way) must not take the good records of its batch with it, nor block the ones behind
     * it: it goes to usage_dead_letter with its reason, visible to admins, and is counted.
     */
    @Test
    void aRecordPostgresRefusesIsDeadLetteredAndTheRestOfItsBatchIsWritten() throws Exception {
        String good = UUID.randomUUID().toString();
        String bad = UUID.randomUUID().toString();
        String nul = UUID.randomUUID().toString();
        double before = deadLettered();
        java.util.List<io.parley.proxy.usage.OutboxRepository.Pending> batch = java.util.List.of(
                new io.parley.proxy.usage.OutboxRepository.Pending(good, eventJson(good)),
                new io.parley.proxy.usage.OutboxRepository.Pending(bad, "{not json"),
                new io.parley.proxy.usage.OutboxRepository.Pending(nul,
                        "{\"request_id\":\"" + nul + "\",\"metadata\":{\"k\":\"a\\u0000b\"}}"));

        repository.insertAll(batch);

        assertTrue(Outbox.byRequestId(dataSource, good).isPresent(), "the good row of the batch is written");
        assertTrue(Outbox.byRequestId(dataSource, bad).isEmpty());
        assertTrue(Outbox.byRequestId(dataSource, nul).isEmpty());
        assertEquals(before + 2, deadLettered());

        // a single insert (the recorder's path for a call that ended alone, and its retry queue) does not throw either
        String alone = UUID.randomUUID().toString();
        repository.insert(alone, "{not json either");
        assertEquals(before + 3, deadLettered());

        var letters = given().baseUri(base.toString()).auth().oauth2(io.parley.testsupport.TestTokens.user("root", "admin"))
                .get("/admin/usage/dead-letters?limit=1000").then().statusCode(200).extract().jsonPath();
        java.util.List<String> ids = letters.getList("data.request_id");
        assertTrue(ids.containsAll(java.util.List.of(bad, nul, alone)), ids.toString());
        int at = ids.indexOf(nul);
        assertTrue(letters.getString("data[" + at + "].reason").contains("22"), letters.getString("data[" + at + "]"));
        assertTrue(letters.getString("data[" + at + "].event_json").contains("a\\u0000b"),
                "the event is kept as sent: " + letters.getString("data[" + at + "].event_json"));

        given().baseUri(base.toString()).auth().oauth2(io.parley.testsupport.TestTokens.user("alice", "user"))
                .get("/admin/usage/dead-letters").then().statusCode(403);
        given().baseUri(base.toString()).get("/admin/usage/dead-letters").then().statusCode(401);
    }

    private double deadLettered() {
        io.micrometer.core.instrument.Counter counter = meters.find("parley_proxy_usage_dead_lettered").counter();
        return counter == null ? 0 : counter.count();
    }
}
