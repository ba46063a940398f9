package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class RoutingResilienceTest {

    @Test
    void upstream503BeforeTheFirstByteIsRetriedOnAnotherEndpoint() {
        int before = FakeServices.failingEndpointHits.get();
        List<String> warnings = new CopyOnWriteArrayList<>();
        Logger relayLog = Logger.getLogger("io.parley.proxy.stream"); // the relay's loggers (UpstreamAttempt)
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        relayLog.addHandler(capture);
        try {
            answeredByTheSecondEndpoint(before);
        } finally {
            relayLog.removeHandler(capture);
        }
        assertTrue(warnings.stream().anyMatch(m -> m.contains("upstream " + FakeServices.failingUrl() + " answered 503")),
                "the failure log names the endpoint that failed: " + warnings);
    }

    private static void answeredByTheSecondEndpoint(int before) {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-503-first", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200).body("usage.completion_tokens", equalTo(FakeServices.TOKENS.size()));
        // the failing endpoint is listed first and was tried first (both had no outstanding requests)
        assertTrue(FakeServices.failingEndpointHits.get() > before);
        assertTrue(given().when().get("/q/metrics").then().statusCode(200).extract().asString()
                .contains("parley_proxy_upstream_retries_total{model=\"sim-503-first\",reason=\"status_503\"}"),
                "the retry is counted");
    }

    @Test
    void refusedConnectionBeforeTheFirstByteIsRetriedOnAnotherEndpointAndCounted() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-flaky", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200).body("usage.completion_tokens", equalTo(FakeServices.TOKENS.size()));
        assertTrue(given().when().get("/q/metrics").then().statusCode(200).extract().asString()
                .contains("parley_proxy_upstream_retries_total{model=\"sim-flaky\",reason=\"connect\"}"),
                "the retry is counted");
    }

    @Test
    void modelsAreStillServedFromTheCacheWhileTheRegistryIsDown() {
        try {
            FakeServices.registryDown(true);
            await().atMost(Duration.ofSeconds(5)).until(() -> FakeServices.changeStreamFollowers() == 0);
            for (int i = 0; i < 3; i++) {
                given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                        .body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                        .when().post("/v1/chat/completions").then().statusCode(200);
            }
            given().when().get("/q/health/ready").then().statusCode(200);
        } finally {
            FakeServices.registryDown(false);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> FakeServices.changeStreamFollowers() > 0);
    }
}
