package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class ProxyFeaturesTest {

    @Inject
    DataSource dataSource;

    @Test
    void completionsAreRelayedToTheUpstreamCompletionsEndpoint() {
        JsonObject body = new JsonObject().put("model", "sim-chat").put("prompt", "Say hi").put("max_tokens", 5);
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json").body(body.encode())
                .when().post("/v1/completions")
                .then().statusCode(200).body("usage.completion_tokens", equalTo(FakeServices.TOKENS.size()));
        assertEquals("/v1/completions", FakeServices.upstreamPaths.get(FakeServices.upstreamPaths.size() - 1));
    }

    @Test
    void bodyOverTheConfiguredLimitIsRejectedWith413() {
        String big = "x".repeat(2 * 1024 * 1024);
        JsonObject body = ChatCompletionsStreamingTest.chat("sim-chat", false).put("padding", big);
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json").body(body.encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(413).contentType("application/json")
                .body("error.code", equalTo("request_too_large"));
    }

    @Test
    void attachmentsDecodingToMoreThanTheAttachmentLimitAreRejectedWith413() {
        // test profile: 1 MiB of JSON, 512 KiB of decoded attachments; two 300 KiB images are under the first only
        JsonObject body = chatWithImages(300 * 1024, 300 * 1024);
        assertTrue(body.encode().length() < 1024 * 1024, "the JSON body is under max-request-bytes");
        int upstreamCalls = FakeServices.upstreamPaths.size();
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json").body(body.encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(413).contentType("application/json")
                .body("error.code", equalTo("request_too_large"))
                .body("error.message", containsString("614400 bytes"))
                .body("error.message", containsString("524288 bytes"));
        assertEquals(upstreamCalls, FakeServices.upstreamPaths.size(), "nothing went upstream");
    }

    @Test
    void attachmentsUnderBothLimitsAreForwarded() {
        JsonObject body = chatWithImages(200 * 1024, 200 * 1024);
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json").body(body.encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200);
        assertEquals("/v1/chat/completions", FakeServices.upstreamPaths.get(FakeServices.upstreamPaths.size() - 1));
    }

    private static JsonObject chatWithImages(int... sizes) {
        JsonArray content = new JsonArray().add(new JsonObject().put("type", "text").put("text", "compare these"));
        for (int size : sizes) {
            String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(new byte[size]);
            content.add(new JsonObject().put("type", "image_url").put("image_url", new JsonObject().put("url", dataUrl)));
        }
        return new JsonObject().put("model", "sim-chat")
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", content)));
    }

    @Test
    void attachmentsAreAuditedByMimeSizeAndDigestOnly() throws Exception {
        byte[] png = new byte[300 * 1024]; // large enough to be parsed off the event loop
        for (int i = 0; i < png.length; i++) {
            png[i] = (byte) i;
        }
        String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        JsonObject body = new JsonObject().put("model", "sim-chat").put("messages", new JsonArray().add(new JsonObject()
                .put("role", "user").put("content", new JsonArray()
                        .add(new JsonObject().put("type", "text").put("text", "what is this?"))
                        .add(new JsonObject().put("type", "image_url")
                                .put("image_url", new JsonObject().put("url", dataUrl))))));
        String correlation = UUID.randomUUID().toString();
        given().header("Authorization", ProxyClient.bearer()).header("X-Correlation-Id", correlation)
                .contentType("application/json").body(body.encode())
                .when().post("/v1/chat/completions").then().statusCode(200);

        JsonObject event = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
        JsonArray attachments = event.getJsonArray("attachments");
        assertEquals(1, attachments.size());
        JsonObject audit = attachments.getJsonObject(0);
        assertEquals("image/png", audit.getString("mime_type"));
        assertEquals(png.length, audit.getLong("size_bytes"));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)),
                audit.getString("sha256"));
        assertEquals(3, audit.size(), "only mime type, size and digest are kept");
    }

    @Test
    void modelsAnnouncedOnTheRegistryChangeStreamAreServedWithoutARefresh() {
        await().atMost(Duration.ofSeconds(10)).until(() -> FakeServices.changeStreamFollowers() > 0);
        FakeServices.announce(FakeServices.model("sim-announced", "Ready", null, FakeServices.upstreamUrl()));
        FakeServices.announce(FakeServices.model("sim-announced-broken", "Unhealthy", "health probe failed 3x"));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> given().header("Authorization", ProxyClient.bearer())
                .contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-announced", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(200));
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-announced-broken", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(503).body("error.message", containsString("health probe failed 3x"));
    }

    @Test
    void prometheusMetricsExposeTtftLatencyTokensActiveStreamsAndUpstreamErrors() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", true).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-500", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(502);

        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        org.junit.jupiter.api.Assertions.assertAll(
                () -> org.junit.jupiter.api.Assertions.assertTrue(
                        metrics.contains("parley_proxy_ttft_seconds_bucket{model=\"sim-chat\""), "ttft histogram"),
                () -> org.junit.jupiter.api.Assertions.assertTrue(
                        metrics.contains("parley_proxy_latency_seconds_bucket{model=\"sim-chat\""), "latency histogram"),
                () -> org.junit.jupiter.api.Assertions.assertTrue(
                        metrics.contains("parley_proxy_tokens_total{kind=\"completion\",model=\"sim-chat\""), "tokens"),
                () -> org.junit.jupiter.api.Assertions.assertTrue(metrics.contains("parley_proxy_active_streams"),
                        "active streams"),
                () -> org.junit.jupiter.api.Assertions.assertTrue(
                        metrics.contains("parley_proxy_upstream_errors_total{model=\"sim-500\""), "upstream errors"));
    }
}
