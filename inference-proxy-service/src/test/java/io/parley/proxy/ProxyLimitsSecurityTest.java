package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.proxy.limits.SharedLimits;
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
    static final int USER_RPM = 5;
    static final int USER_CONCURRENT = 2;
    static final int KEY_RPM = 3;

    public static class LimitsProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("parley.proxy.limits.max-stream-duration", "3s",
                    "parley.proxy.limits.max-output-tokens", Integer.toString(MAX_OUTPUT_TOKENS),
                    "parley.proxy.limits.user.requests-per-minute", Integer.toString(USER_RPM),
                    "parley.proxy.limits.user.max-concurrent", Integer.toString(USER_CONCURRENT),
                    "parley.proxy.limits.api-key.requests-per-minute", Integer.toString(KEY_RPM),
                    "parley.proxy.limits.api-key.max-concurrent", "0");
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    @Inject
    MeterRegistry meters;

    private double limited(String limit, String scope) {
        Counter counter = meters.find("parley_proxy_limited").tag("limit", limit).tag("scope", scope).counter();
        return counter == null ? 0 : counter.count();
    }

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
    void aCallWithoutALimitIsSentAsItCameAndOneWithinTheCapUnchanged() {
        // vLLM refuses prompt + max_tokens above its context with its own token count of the prompt (chat template
        // included), which is above the proxy's estimate: an injected cap of context - estimate would be refused.
        String unset = UUID.randomUUID().toString();
        given().header("Authorization", bearerOfNewUser()).contentType("application/json")
                .body(chat("sim-chat", unset).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
        assertEquals(null, sentUpstream(unset).orElseThrow().getValue("max_tokens"),
                "no max_tokens added: the server's default is bounded by its context");

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

    // ---- rate and concurrency limits ----------------------------------------------------------------------------

    @Test
    void callsAboveTheUsersRequestsPerMinuteAreAnswered429InOpenAisShapeWithRetryAfter() {
        String bearer = bearerOfNewUser();
        double before = limited("requests_per_minute", "user");
        for (int i = 0; i < USER_RPM; i++) {
            // sequential calls: each one's place among the 2 in flight is given back when it ends
            given().header("Authorization", bearer).contentType("application/json")
                    .body(chat("sim-chat", UUID.randomUUID().toString()).put("stream", false).encode())
                    .when().post("/v1/chat/completions").then().statusCode(200);
        }
        String marker = UUID.randomUUID().toString();
        String retryAfter = given().header("Authorization", bearer).contentType("application/json")
                .body(chat("sim-chat", marker).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(429)
                .body("error.type", equalTo("requests"))
                .body("error.code", equalTo("rate_limit_exceeded"))
                .body("error.param", nullValue())
                .body("error.message", containsString("Rate limit reached for requests per min (RPM) of this user: "
                        + "Limit " + USER_RPM))
                .extract().header("Retry-After");
        int seconds = Integer.parseInt(retryAfter);
        assertTrue(seconds >= 1 && seconds <= 60, "Retry-After " + retryAfter);
        assertTrue(sentUpstream(marker).isEmpty(), "a refused call is not relayed");
        assertEquals(before + 1, limited("requests_per_minute", "user"));

        // Anthropic's shape on /v1/messages
        JsonObject messages = new JsonObject().put("model", "sim-chat").put("max_tokens", 5)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
        given().header("Authorization", bearer).contentType("application/json").body(messages.encode())
                .when().post("/v1/messages")
                .then().statusCode(429).header("Retry-After", notNullValue())
                .body("type", equalTo("error")).body("error.type", equalTo("rate_limit_error"));
    }

    @Test
    void aCallAboveTheUsersConcurrencyIsAnswered429AndAdmittedOnceOneOfTheOthersEnded() throws Exception {
        String bearer = bearerOfNewUser();
        double before = limited("concurrency", "user");
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        // sim-slow streams for minutes (ended at 3 s by max-stream-duration); the first is closed by the client early
        CompletableFuture<ProxyClient.Result> one = ProxyClient.send(base.getPort(), "/v1/chat/completions",
                chat("sim-slow", first), Map.of("Authorization", bearer, "X-Correlation-Id", first), -1);
        CompletableFuture<ProxyClient.Result> two = ProxyClient.send(base.getPort(), "/v1/chat/completions",
                chat("sim-slow", second), Map.of("Authorization", bearer, "X-Correlation-Id", second), -1);
        await().atMost(Duration.ofSeconds(10)).until(() -> FakeServices.upstreamCorrelations.contains(first)
                && FakeServices.upstreamCorrelations.contains(second));

        given().header("Authorization", bearer).contentType("application/json")
                .body(chat("sim-chat", UUID.randomUUID().toString()).put("stream", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(429).header("Retry-After", equalTo("1"))
                .body("error.code", equalTo("rate_limit_exceeded"))
                .body("error.message", containsString("concurrent requests of this user: Limit " + USER_CONCURRENT));
        assertEquals(before + 1, limited("concurrency", "user"));

        one.get(30, TimeUnit.SECONDS);
        two.get(30, TimeUnit.SECONDS);
        given().header("Authorization", bearer).contentType("application/json")
                .body(chat("sim-chat", UUID.randomUUID().toString()).put("stream", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
    }

    @Test
    void aClientThatLeavesGivesItsPlaceBack() throws Exception {
        String bearer = bearerOfNewUser();
        for (int i = 0; i < USER_CONCURRENT; i++) {
            String correlation = UUID.randomUUID().toString();
            // leaves after the first content event: the stream would run for 3 s more
            ProxyClient.send(base.getPort(), "/v1/chat/completions", chat("sim-slow", correlation),
                    Map.of("Authorization", bearer, "X-Correlation-Id", correlation), 1).get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> FakeServices.upstreamSawClose.contains(correlation));
        }
        given().header("Authorization", bearer).contentType("application/json")
                .body(chat("sim-chat", UUID.randomUUID().toString()).put("stream", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
    }

    @Test
    void anApiKeyHasItsOwnLimitOnTopOfItsUsers() {
        String user = "limits-" + UUID.randomUUID();
        String secret = given().header("Authorization", "Bearer " + TestTokens.user(user, "user"))
                .contentType("application/json").body("{\"name\":\"script\"}")
                .when().post("/v1/keys").then().statusCode(201).extract().path("key");
        double before = limited("requests_per_minute", "api_key");
        for (int i = 0; i < KEY_RPM; i++) {
            given().header("Authorization", "Bearer " + secret).contentType("application/json")
                    .body(chat("sim-chat", UUID.randomUUID().toString()).put("stream", false).encode())
                    .when().post("/v1/chat/completions").then().statusCode(200);
        }
        given().header("Authorization", "Bearer " + secret).contentType("application/json")
                .body(chat("sim-chat", UUID.randomUUID().toString()).put("stream", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(429).body("error.message", containsString("of this API key: Limit " + KEY_RPM));
        assertEquals(before + 1, limited("requests_per_minute", "api_key"));
        // the user's own limit (5) is not used up: the same user with its token is still served
        given().header("Authorization", "Bearer " + TestTokens.user(user, "user")).contentType("application/json")
                .body(chat("sim-chat", UUID.randomUUID().toString()).put("stream", false).encode())
                .when().post("/v1/chat/completions").then().statusCode(200);
    }

    // ---- shared across replicas ---------------------------------------------------------------------------------
    // Two Quarkus applications cannot run in one JVM, so two replicas are two SharedLimits over the application's
    // (migrated) database, each with its own replica id, synced explicitly at a fixed clock.

    // the middle of a minute a year ahead: the application's own sync deletes windows older than two minutes
    private static final long MID_MINUTE = (System.currentTimeMillis() / 60_000 + 525_600) * 60_000 + 30_000;
    private static final SharedLimits.Limits FIVE_A_MINUTE_TWO_AT_ONCE = new SharedLimits.Limits(5, 0, 2);

    @Test
    void twoReplicasShareTheRequestsPerMinuteOfAUser() {
        SharedLimits a = new SharedLimits(dataSource, "replica-a-" + UUID.randomUUID(), Duration.ofSeconds(15));
        SharedLimits b = new SharedLimits(dataSource, "replica-b-" + UUID.randomUUID(), Duration.ofSeconds(15));
        List<String> user = List.of("user:shared-" + UUID.randomUUID());
        List<SharedLimits.Limits> limits = List.of(FIVE_A_MINUTE_TWO_AT_ONCE);

        for (int i = 0; i < 3; i++) {
            assertEquals(null, a.admit(user, limits, MID_MINUTE), "a: call " + (i + 1));
            a.release(user.get(0));
        }
        assertTrue(a.sync(MID_MINUTE));
        // b has not seen the user yet: its first call is admitted before it knows (the documented bound)
        assertEquals(null, b.admit(user, limits, MID_MINUTE));
        b.release(user.get(0));
        assertTrue(b.sync(MID_MINUTE));
        // b now counts a's 3 calls: one more is the fifth of the minute, the next is refused
        assertEquals(null, b.admit(user, limits, MID_MINUTE));
        b.release(user.get(0));
        SharedLimits.Refusal onB = b.admit(user, limits, MID_MINUTE);
        assertEquals("requests_per_minute", onB == null ? null : onB.limit(), "b refuses the sixth call");
        assertTrue(b.sync(MID_MINUTE));
        assertTrue(a.sync(MID_MINUTE));
        SharedLimits.Refusal onA = a.admit(user, limits, MID_MINUTE);
        assertEquals("requests_per_minute", onA == null ? null : onA.limit(), "a refuses too: it counts b's calls");
        assertEquals(5, onA.used());
        assertEquals(30, onA.retryAfterSeconds(), "this minute's calls count until the next one starts");
    }

    @Test
    void twoReplicasShareTheConcurrencyOfAUserAndACrashedReplicasCallsExpire() {
        SharedLimits a = new SharedLimits(dataSource, "replica-a-" + UUID.randomUUID(), Duration.ofSeconds(1));
        SharedLimits b = new SharedLimits(dataSource, "replica-b-" + UUID.randomUUID(), Duration.ofSeconds(1));
        List<String> user = List.of("user:shared-" + UUID.randomUUID());
        List<SharedLimits.Limits> limits = List.of(new SharedLimits.Limits(0, 0, 2));
        // b knows the user from an earlier call
        assertEquals(null, b.admit(user, limits, MID_MINUTE));
        b.release(user.get(0));

        assertEquals(null, a.admit(user, limits, MID_MINUTE));
        assertEquals(null, a.admit(user, limits, MID_MINUTE));
        assertTrue(a.sync(MID_MINUTE));
        assertTrue(b.sync(MID_MINUTE));
        SharedLimits.Refusal refusal = b.admit(user, limits, MID_MINUTE);
        assertEquals("concurrency", refusal == null ? null : refusal.limit(), "a's two calls in flight count on b");

        // a crashes (never syncs again): once its leases expired, b admits again
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            b.sync(MID_MINUTE);
            SharedLimits.Refusal r = b.admit(user, limits, MID_MINUTE);
            if (r == null) {
                b.release(user.get(0));
            }
            return r == null;
        });
    }

    @Test
    void aReplicasEndedCallsAreGivenBackToTheOthersAtItsNextSync() {
        SharedLimits a = new SharedLimits(dataSource, "replica-a-" + UUID.randomUUID(), Duration.ofSeconds(15));
        SharedLimits b = new SharedLimits(dataSource, "replica-b-" + UUID.randomUUID(), Duration.ofSeconds(15));
        List<String> user = List.of("user:shared-" + UUID.randomUUID());
        List<SharedLimits.Limits> limits = List.of(new SharedLimits.Limits(0, 0, 1));
        assertEquals(null, b.admit(user, limits, MID_MINUTE));
        b.release(user.get(0));
        assertEquals(null, a.admit(user, limits, MID_MINUTE));
        a.sync(MID_MINUTE);
        b.sync(MID_MINUTE);
        assertEquals("concurrency", b.admit(user, limits, MID_MINUTE).limit());
        a.release(user.get(0));
        a.sync(MID_MINUTE);
        b.sync(MID_MINUTE);
        assertEquals(null, b.admit(user, limits, MID_MINUTE), "a's call ended: b may start one");
    }

    @Test
    void tokensPerMinuteCountWhatEndedCallsUsedOnEveryReplica() {
        SharedLimits a = new SharedLimits(dataSource, "replica-a-" + UUID.randomUUID(), Duration.ofSeconds(15));
        SharedLimits b = new SharedLimits(dataSource, "replica-b-" + UUID.randomUUID(), Duration.ofSeconds(15));
        List<String> key = List.of("api_key:shared-" + UUID.randomUUID());
        List<SharedLimits.Limits> limits = List.of(new SharedLimits.Limits(0, 1000, 0));
        assertEquals(null, b.admit(key, limits, MID_MINUTE));
        b.release(key.get(0));
        assertEquals(null, a.admit(key, limits, MID_MINUTE));
        a.release(key.get(0));
        a.addTokens(key.get(0), 1000, MID_MINUTE);
        a.sync(MID_MINUTE);
        b.sync(MID_MINUTE);
        SharedLimits.Refusal refusal = b.admit(key, limits, MID_MINUTE);
        assertEquals("tokens_per_minute", refusal == null ? null : refusal.limit());
    }
}
