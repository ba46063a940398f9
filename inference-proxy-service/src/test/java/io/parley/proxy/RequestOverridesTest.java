package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.parley.proxy.service.RequestOverrides;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code X-Parley-Overrides} on all four relay endpoints: what the upstream received is the request body (for Responses
 * and Messages: the translated chat-completions body) with the overrides merged over it. Each call marks its overrides
 * with a unique {@code user}, by which its upstream request is found.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class RequestOverridesTest {

    private static final String HEADER = RequestOverrides.HEADER;

    @TestHTTPResource("/")
    URL base;

    private static JsonObject sentUpstream(String marker) {
        Optional<JsonObject> found = FakeServices.upstreamRequests.stream()
                .filter(r -> marker.equals(r.getString("user"))).findFirst();
        assertTrue(found.isPresent(), "the upstream received the call marked " + marker);
        return found.get();
    }

    @Test
    void chatCompletionsUpstreamReceivesTheBodyWithTheOverridesMergedOver() {
        String marker = UUID.randomUUID().toString();
        JsonObject body = ChatCompletionsStreamingTest.chat("sim-chat", false).put("temperature", 0.7)
                .put("max_tokens", 32).put("top_p", 0.5);
        JsonObject overrides = new JsonObject().put("temperature", 0.1).putNull("max_tokens").put("user", marker)
                .put("stop", new JsonArray().add("###"));

        given().header("Authorization", ProxyClient.bearer()).header(HEADER, overrides.encode())
                .contentType("application/json").body(body.encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200)
                .header(RequestOverrides.APPLIED_HEADER, equalTo("temperature,max_tokens,user,stop"));

        JsonObject sent = sentUpstream(marker);
        assertAll(
                () -> assertEquals(0.1, sent.getDouble("temperature"), "the override wins"),
                () -> assertFalse(sent.containsKey("max_tokens"), "a null override removes the key"),
                () -> assertEquals(new JsonArray().add("###"), sent.getJsonArray("stop"), "a new key is added"),
                () -> assertEquals(0.5, sent.getDouble("top_p"), "keys not overridden are kept"),
                () -> assertEquals(body.getJsonArray("messages"), sent.getJsonArray("messages")),
                () -> assertEquals("sim-chat", sent.getString("model")));
    }

    @Test
    void completionsUpstreamReceivesTheOverrides() {
        String marker = UUID.randomUUID().toString();
        JsonObject body = new JsonObject().put("model", "sim-chat").put("prompt", "Say hi").put("max_tokens", 5);
        given().header("Authorization", ProxyClient.bearer())
                .header(HEADER, new JsonObject().put("user", marker).put("max_tokens", 3).put("seed", 42).encode())
                .contentType("application/json").body(body.encode())
                .when().post("/v1/completions")
                .then().statusCode(200).header(RequestOverrides.APPLIED_HEADER, equalTo("user,max_tokens,seed"));

        JsonObject sent = sentUpstream(marker);
        assertEquals(3, sent.getInteger("max_tokens"));
        assertEquals(42, sent.getInteger("seed"));
        assertEquals("Say hi", sent.getString("prompt"));
    }

    @Test
    void responsesOverridesApplyToTheTranslatedChatCompletionsBody() throws Exception {
        String marker = UUID.randomUUID().toString();
        JsonObject body = new JsonObject().put("model", "sim-chat").put("input", "hi").put("max_output_tokens", 16)
                .put("temperature", 0.3).put("stream", true);
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/responses", body,
                Map.of("Authorization", ProxyClient.bearer(), HEADER,
                        new JsonObject().put("max_tokens", 5).putNull("temperature").put("user", marker).encode()));

        assertEquals(200, result.status());
        assertEquals("max_tokens,temperature,user", result.header(RequestOverrides.APPLIED_HEADER));
        JsonObject sent = sentUpstream(marker);
        assertAll(
                () -> assertEquals(5, sent.getInteger("max_tokens"), "max_output_tokens became max_tokens, overridden"),
                () -> assertFalse(sent.containsKey("temperature")),
                () -> assertFalse(sent.containsKey("max_output_tokens"), "merged over the translated body"),
                () -> assertTrue(sent.getBoolean("stream")),
                () -> assertTrue(sent.getJsonObject("stream_options").getBoolean("include_usage")),
                () -> assertEquals("hi", sent.getJsonArray("messages").getJsonObject(0).getString("content")));
    }

    @Test
    void messagesOverridesApplyToTheTranslatedChatCompletionsBody() {
        String marker = UUID.randomUUID().toString();
        given().header("Authorization", ProxyClient.bearer())
                .header(HEADER, new JsonObject().put("top_k", 3).putNull("max_tokens").put("user", marker).encode())
                .contentType("application/json").body(MessagesApiTest.messages("sim-chat", false).encode())
                .when().post("/v1/messages")
                .then().statusCode(200).body("type", equalTo("message"))
                .header(RequestOverrides.APPLIED_HEADER, equalTo("top_k,max_tokens,user"));

        JsonObject sent = sentUpstream(marker);
        assertEquals(3, sent.getInteger("top_k"));
        assertFalse(sent.containsKey("max_tokens"), "the translated max_tokens was removed by the null override");
        assertEquals("user", sent.getJsonArray("messages").getJsonObject(0).getString("role"));
    }

    @Test
    void overridesAreAlsoMergedIntoLargeBodiesParsedOffTheEventLoop() {
        String marker = UUID.randomUUID().toString();
        JsonObject body = ChatCompletionsStreamingTest.chat("sim-chat", false).put("max_tokens", 32);
        // 300 KiB of image (base64 zeros): a large body whose prompt estimate still fits the model's context (images
        // are not counted), so the output-token cap lets it through
        body.getJsonArray("messages").getJsonObject(0).put("content", new JsonArray()
                .add(new JsonObject().put("type", "text").put("text", "hi"))
                .add(new JsonObject().put("type", "image_url").put("image_url",
                        new JsonObject().put("url", "data:image/png;base64," + "A".repeat(300 * 1024)))));
        given().header("Authorization", ProxyClient.bearer())
                .header(HEADER, new JsonObject().put("user", marker).put("max_tokens", 4).encode())
                .contentType("application/json").body(body.encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200).header(RequestOverrides.APPLIED_HEADER, equalTo("user,max_tokens"));
        assertEquals(4, sentUpstream(marker).getInteger("max_tokens"));
    }

    @Test
    void withoutTheHeaderNothingIsMergedAndNoAppliedHeaderIsSent() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(200).header(RequestOverrides.APPLIED_HEADER, nullValue());
    }

    @Test
    void overridesOfKeysTheProxyOwnsAreRefusedWith400() {
        for (String key : new String[] { "model", "messages", "prompt", "input", "stream", "stream_options" }) {
            String marker = UUID.randomUUID().toString();
            given().header("Authorization", ProxyClient.bearer())
                    .header(HEADER, new JsonObject().put("user", marker).put(key, "x").encode())
                    .contentType("application/json").body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                    .when().post("/v1/chat/completions")
                    .then().statusCode(400)
                    .body("error.type", equalTo("invalid_request_error"))
                    .body("error.param", equalTo(HEADER))
                    .body("error.message", containsString(key));
            assertTrue(FakeServices.upstreamRequests.stream().noneMatch(r -> marker.equals(r.getString("user"))),
                    key + ": nothing went upstream");
        }
    }

    @Test
    void overridesThatAreNotAJsonObjectOrTooLongAreRefusedWith400() {
        String tooLong = new JsonObject().put("user", "x".repeat(RequestOverrides.MAX_LENGTH)).encode();
        for (String value : new String[] { "temperature=0.1", "[1,2]", "0.5", "{\"temperature\":", tooLong }) {
            given().header("Authorization", ProxyClient.bearer()).header(HEADER, value)
                    .contentType("application/json").body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                    .when().post("/v1/chat/completions")
                    .then().statusCode(400)
                    .body("error.type", equalTo("invalid_request_error"))
                    .body("error.param", equalTo(HEADER));
        }
    }

    @Test
    void refusedOverridesOnMessagesAnswerInAnthropicsErrorShape() {
        given().header("Authorization", ProxyClient.bearer()).header(HEADER, "{\"stream\":false}")
                .contentType("application/json").body(MessagesApiTest.messages("sim-chat", false).encode())
                .when().post("/v1/messages")
                .then().statusCode(400).body("type", equalTo("error"))
                .body("error.type", equalTo("invalid_request_error"));
    }
}
