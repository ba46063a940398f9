package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.proxy.stream.ShutdownDrain;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/**
 * The SIGTERM sequence ({@link ShutdownDrain#drain()} is what the shutdown runs): readiness DOWN first, new calls still
 * served during the pre-stop delay and refused with 503 after it, open streams given the drain time, the rest ended
 * with a {@code server_shutting_down} error event and recorded {@code interrupted}.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
@TestProfile(ShutdownDrainTest.DrainProfile.class)
class ShutdownDrainTest {

    public static class DrainProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("parley.proxy.shutdown.pre-stop-delay", "3s", "parley.proxy.shutdown.drain-time", "2s");
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    @Inject
    ShutdownDrain drain;

    private Map<String, String> headers(String correlation) {
        return Map.of("Authorization", ProxyClient.bearer(), "X-Correlation-Id", correlation);
    }

    private JsonObject usageOf(String correlation) {
        return await().atMost(Duration.ofSeconds(15))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
    }

    @Test
    void sigtermDrainsThenEndsOpenStreamsWithAnErrorEventRecordedInterrupted() throws Exception {
        List<String> streams = new ArrayList<>();
        List<CompletableFuture<ProxyClient.Result>> open = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String correlation = UUID.randomUUID().toString();
            streams.add(correlation);
            open.add(ProxyClient.send(base.getPort(), "/v1/chat/completions",
                    ChatCompletionsStreamingTest.chat("sim-slow", true), headers(correlation), -1));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> FakeServices.upstreamCorrelations.containsAll(streams));

        Thread sigterm = new Thread(drain::drain, "test-sigterm");
        sigterm.start();
        await().atMost(Duration.ofSeconds(2)).until(drain::draining);
        given().when().get("/q/health/ready").then().statusCode(503);

        // during the pre-stop delay a new call is still served (load balancers may still send it)
        String early = UUID.randomUUID().toString();
        if (!drain.refusing()) {
            ProxyClient.Result served = ProxyClient.post(base.getPort(), "/v1/chat/completions",
                    ChatCompletionsStreamingTest.chat("sim-chat", true), headers(early));
            if (!drain.refusing()) {
                assertEquals(200, served.status());
            }
        }

        await().atMost(Duration.ofSeconds(10)).until(drain::refusing);
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", true).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(503).body("error.code", equalTo("server_shutting_down"))
                .body("error.type", equalTo("service_unavailable_error"));

        for (int i = 0; i < open.size(); i++) {
            ProxyClient.Result result = open.get(i).get(20, TimeUnit.SECONDS);
            assertEquals(200, result.status());
            assertTrue(result.body().contains("\"server_shutting_down\""), "an error event before the close");
            assertFalse(result.body().contains("[DONE]"));
            JsonObject usage = usageOf(streams.get(i));
            assertEquals("interrupted", usage.getString("status"));
            assertEquals("server_shutting_down", usage.getString("error_type"));
            assertTrue(usage.getInteger("completion_tokens") > 0);
        }
        sigterm.join(10_000);
        assertFalse(sigterm.isAlive());
    }
}
