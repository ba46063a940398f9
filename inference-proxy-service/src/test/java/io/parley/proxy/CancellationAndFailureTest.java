package io.parley.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class CancellationAndFailureTest {

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    private Map<String, String> headers(String correlation) {
        return Map.of("Authorization", ProxyClient.bearer(), "X-Correlation-Id", correlation);
    }

    private JsonObject usageOf(String correlation) {
        return await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
    }

    @Test
    void clientDisconnectAfterTheFirstTokensClosesTheUpstreamAndRecordsCancelledWithTokensSoFar() throws Exception {
        String correlation = UUID.randomUUID().toString();
        ProxyClient.Result partial = ProxyClient.send(base.getPort(), "/v1/chat/completions",
                ChatCompletionsStreamingTest.chat("sim-slow", true), headers(correlation), 3).get(30, TimeUnit.SECONDS);
        assertEquals(200, partial.status());

        await().atMost(Duration.ofSeconds(3)).until(() -> FakeServices.upstreamSawClose.contains(correlation));
        JsonObject usage = usageOf(correlation);
        assertEquals("cancelled", usage.getString("status"));
        assertTrue(usage.getInteger("completion_tokens") >= 3, usage.encode());
        assertTrue(usage.getDouble("ttft_ms") > 0);
    }

    @Test
    void clientDisconnectBeforeTheFirstTokenClosesTheUpstreamAndRecordsCancelled() throws Exception {
        String correlation = UUID.randomUUID().toString();
        CompletableFuture<Void> close = new CompletableFuture<>();
        ProxyClient.postAndCloseBeforeAnswer(base.getPort(), "/v1/chat/completions",
                ChatCompletionsStreamingTest.chat("sim-hang", true), headers(correlation), close)
                .get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> FakeServices.upstreamCorrelations.contains(correlation));
        close.complete(null);

        await().atMost(Duration.ofSeconds(3)).until(() -> FakeServices.upstreamSawClose.contains(correlation));
        JsonObject usage = usageOf(correlation);
        assertEquals("cancelled", usage.getString("status"));
        assertEquals(0, usage.getInteger("completion_tokens"));
        // the upstream's usage never arrived: estimated from the request (3 + 4 per message + ceil("hi".length / 4))
        assertEquals(8, usage.getInteger("prompt_tokens"));
    }

    @Test
    void failureAfterTheFirstByteEndsTheStreamWithAnErrorEventAndKeepsWhatWasSent() throws Exception {
        String correlation = UUID.randomUUID().toString();
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions",
                ChatCompletionsStreamingTest.chat("sim-broken", true), headers(correlation));

        assertEquals(200, result.status());
        assertEquals("Hello there", ChatCompletionsStreamingTest.content(withoutErrorEvent(result.body())));
        List<String> events = ChatCompletionsStreamingTest.events(result.body());
        JsonObject last = new JsonObject(events.get(events.size() - 1).substring("data: ".length()).trim());
        assertEquals("upstream_error", last.getJsonObject("error").getString("type"));
        assertFalse(result.body().contains("[DONE]"));
        // the broken upstream was not retried: it had already answered
        assertEquals(1, FakeServices.upstreamAttempts.get(result.header("X-Request-Id")).get());

        JsonObject usage = usageOf(correlation);
        assertEquals("error", usage.getString("status"));
        assertEquals("upstream_disconnected", usage.getString("error_type"));
        assertEquals(2, usage.getInteger("completion_tokens"));
    }

    @Test
    void upstreamSilentAfterFirstTokensEndsTheStreamWithAnIdleTimeoutErrorEvent() throws Exception {
        String correlation = UUID.randomUUID().toString();
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions",
                ChatCompletionsStreamingTest.chat("sim-stall", true), headers(correlation));

        assertEquals("Hello there", ChatCompletionsStreamingTest.content(withoutErrorEvent(result.body())));
        assertTrue(result.body().contains("\"upstream_timeout\""), result.body());
        await().atMost(Duration.ofSeconds(3)).until(() -> FakeServices.upstreamSawClose.contains(correlation));
        assertEquals("upstream_idle_timeout", usageOf(correlation).getString("error_type"));
    }

    @Test
    void upstreamThatNeverAnswersGets504AfterTheFirstTokenTimeout() throws Exception {
        String correlation = UUID.randomUUID().toString();
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions",
                ChatCompletionsStreamingTest.chat("sim-hang", true), headers(correlation));

        assertEquals(504, result.status());
        assertEquals("upstream_timeout", new JsonObject(result.body()).getJsonObject("error").getString("code"));
        assertEquals("upstream_timeout", usageOf(correlation).getString("error_type"));
    }

    static String withoutErrorEvent(String body) {
        return String.join("", ChatCompletionsStreamingTest.events(body).stream()
                .filter(e -> !e.contains("\"error\"")).toList());
    }
}
