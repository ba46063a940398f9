package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.proxy.service.RequestOverrides;
import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Issue #15, point 3 in the proxy: cost is bounded. {@code max_tokens: 2147483647} (and its Responses and Anthropic
 * twins) is answered 400 with {@code param} instead of streaming for minutes; a call without a limit is sent upstream
 * with the cap; a stream that runs past {@code limits.max-stream-duration} is ended with an error event, its upstream
 * closed and its usage recorded {@code interrupted} / {@code max_stream_duration}. Each test calls as a user of its own.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
@TestProfile(ProxyLimitsSecurityTest.LimitsProfile.class)
class ProxyLimitsSecurityTest {

    static final int MAX_OUTPUT_TOKENS = 1000;

    public static class LimitsProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("parley.proxy.limits.max-stream-duration", "3s",
                    "parley.proxy.limits.max-output-tokens", Integer.toString(MAX_OUTPUT_TOKENS));
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    private static String bearerOfNewUser() {
        return "Bearer " + TestTokens.user("limits-" + UUID.randomUUID(), "user");
    }

    private static JsonObject chat(String model, String marker) {
        return new JsonObject().put("model", model).put("stream", true).put("user", marker)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
    }

    private static Optional<JsonObject> sentUpstream(String marker) {
        return FakeServices.upstreamRequests.stream().filter(r -> marker.equals(r.getString("user"))).findFirst();
    }

    // ---- max_tokens ---------------------------------------------------------------------------------------------

    @Test
    void chatCompletionsAskingForIntMaxTokensIsAnswered400WithParamAndNeverRelayed() {
        String marker = UUID.randomUUID().toString();
        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .body(chat("sim-chat", marker).put("max_tokens", Integer.MAX_VALUE).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("max_tokens"))
                .body("error.code", equalTo("context_length_exceeded"))
                // the fake registry lists every model with max_model_len 4096; "hi" is estimated at 8 prompt tokens
                .body("error.message", containsString("at most 4088 output tokens"));
        assertTrue(sentUpstream(marker).isEmpty(), "nothing reached the upstream");
    }

    @Test
    void maxCompletionTokensIsCappedToo() {
        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .body(chat("sim-chat", UUID.randomUUID().toString()).put("max_completion_tokens", 5000).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("max_completion_tokens"))
                .body("error.code", equalTo("context_length_exceeded"));
    }

    @Test
    void responsesMaxOutputTokensAboveTheCapIsAnswered400NamingItsOwnParam() {
        JsonObject body = new JsonObject().put("model", "sim-chat").put("input", "hi").put("stream", true)
                .put("max_output_tokens", Integer.MAX_VALUE);
        given().header("Authorization", bearerOfNewUser()).contentType("application/json").body(body.encode())
                .when().post("/v1/responses")
                .then().statusCode(400).body("error.param", equalTo("max_output_tokens"))
                .body("error.code", equalTo("context_length_exceeded"));
    }

    @Test
    void anthropicMessagesMaxTokensAboveTheCapIsAnswered400InAnthropicsShape() {
        JsonObject body = new JsonObject().put("model", "sim-chat").put("max_tokens", Integer.MAX_VALUE)
                .put("stream", true)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
        given().header("Authorization", bearerOfNewUser()).contentType("application/json").body(body.encode())
                .when().post("/v1/messages")
                .then().statusCode(400).body("type", equalTo("error"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.message", containsString("'max_tokens' is too large"));
    }

    @Test
    void anOverrideCannotLiftTheCap() {
        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .header(RequestOverrides.HEADER, new JsonObject().put("max_tokens", Integer.MAX_VALUE).encode())
                .body(chat("sim-chat", UUID.randomUUID().toString()).put("max_tokens", 5).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("max_tokens"));
    }

    @Test
    void aCallWithoutALimitIsSentUpstreamWithTheCapAndOneWithinItUnchanged() {
        String unset = UUID.randomUUID().toString();
        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .body(chat("sim-chat", unset).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
        assertEquals(4096 - 8, sentUpstream(unset).orElseThrow().getInteger("max_tokens"),
                "context 4096 minus the prompt's estimate");

        String within = UUID.randomUUID().toString();
        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .body(chat("sim-chat", within).put("max_tokens", 4088).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
        assertEquals(4088, sentUpstream(within).orElseThrow().getInteger("max_tokens"));
    }

    @Test
    void aModelWithoutAKnownContextIsCappedByTheConfiguredMaximum() {
        FakeServices.announce(FakeServices.model("sim-no-context", "Ready", null, FakeServices.upstreamUrl())
                .putNull("max_model_len"));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().header("Authorization", bearerOfNewUser())
                .get("/v1/models").then().extract().body().asString().contains("sim-no-context"));

        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .body(chat("sim-no-context", UUID.randomUUID().toString()).put("max_tokens", MAX_OUTPUT_TOKENS + 1)
                        .encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("max_tokens"))
                .body("error.code", equalTo("invalid_value"));

        String unset = UUID.randomUUID().toString();
        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .body(chat("sim-no-context", unset).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
        assertEquals(MAX_OUTPUT_TOKENS, sentUpstream(unset).orElseThrow().getInteger("max_tokens"));
    }

    // ---- stream duration ----------------------------------------------------------------------------------------

    @Test
    void aStreamPastTheMaximumDurationEndsWithAnErrorEventClosesTheUpstreamAndIsRecordedInterrupted()
            throws Exception {
        String correlation = UUID.randomUUID().toString();
        // sim-slow streams 10,000 tokens, one per 20 ms: 200 s without the limit
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions",
                chat("sim-slow", correlation), Map.of("Authorization", bearerOfNewUser(), "X-Correlation-Id", correlation));

        assertEquals(200, result.status());
        assertTrue(result.body().contains("\"content\":\"tok0 \""), "content was relayed before the limit");
        String last = result.body().strip();
        last = last.substring(last.lastIndexOf("data: ") + "data: ".length());
        JsonObject error = new JsonObject(last).getJsonObject("error");
        assertEquals("max_stream_duration", error.getString("code"), result.body());
        assertFalse(result.body().contains("tok9999"), "the stream did not run to its end");

        await().atMost(Duration.ofSeconds(10)).until(() -> FakeServices.upstreamSawClose.contains(correlation));
        JsonObject usage = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), Optional::isPresent).orElseThrow().event();
        assertEquals("interrupted", usage.getString("status"));
        assertEquals("max_stream_duration", usage.getString("error_type"));
        assertTrue(usage.getInteger("completion_tokens") > 0, usage.encode());
    }
}
