package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class ChatCompletionsErrorsTest {

    @Test
    void unknownModelAnswers404ModelNotFound() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("no-such-model", true).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(404).contentType("application/json")
                .body("error.code", equalTo("model_not_found"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("model"))
                .body("error.message", containsString("no-such-model"));
    }

    @Test
    void knownButNotReadyModelAnswers503WithTheRegistrysReason() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-pending", true).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(503)
                .body("error.code", equalTo("model_not_ready"))
                .body("error.message", containsString("pod default-0 not ready: ContainersNotReady"));
    }

    @Test
    void malformedJsonAnswers400() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body("{\"model\": \"sim-chat\", \"messages\": [")
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("invalid_json"));
    }

    /** Issue 15 "poison usage": a NUL in metadata made the outbox insert fail (jsonb), so the call went unbilled. */
    @Test
    void aNulInMetadataAnswers400NamingTheFieldBeforeAnythingIsRelayed() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body("{\"model\":\"sim-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                        + "\"metadata\":{\"user\":\"bad\\u0000\"}}")
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("invalid_text"))
                .body("error.param", equalTo("metadata.user"))
                .body("error.message", containsString("NUL"));
    }

    @Test
    void aNulInAMessageOfTheMessagesApiAnswers400WithItsPath() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .header("anthropic-version", "2023-06-01")
                .body("{\"model\":\"sim-chat\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                        + "\"content\":[{\"type\":\"text\",\"text\":\"a\\u0000b\"}]}]}")
                .when().post("/v1/messages")
                .then().statusCode(400)
                // whichever error shape the route answers in, it names the value and the reason
                .body(containsString("messages[0].content[0].text")).body(containsString("NUL"));
    }

    @Test
    void anOverlongUtf8NulAnswers400RatherThanBeingDecodedToU0000() {
        byte[] head = "{\"model\":\"sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi ".getBytes(
                java.nio.charset.StandardCharsets.UTF_8);
        byte[] tail = "\"}]}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + 2 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xC0; // C0 80: the overlong form of U+0000 (RFC 3629 forbids it)
        body[head.length + 1] = (byte) 0x80;
        System.arraycopy(tail, 0, body, head.length + 2, tail.length);
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json").body(body)
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                .body("error.param", equalTo("messages[0].content"))
                .body("error.message", containsString("UTF-8"));
    }

    @Test
    void aNulInTheOverridesHeaderAnswers400() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .header("X-Parley-Overrides", "{\"user\":\"x\\u0000\"}")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", true).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("X-Parley-Overrides"))
                .body("error.message", containsString("NUL"));
    }

    @Test
    void missingModelAnswers400NamingTheParameter() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body("{\"messages\": []}")
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.param", equalTo("model"));
    }

    @Test
    void missingTokenAnswers401Json() {
        given().contentType("application/json").body(ChatCompletionsStreamingTest.chat("sim-chat", true).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(401).contentType("application/json")
                .body("error.type", equalTo("authentication_error"));
    }

    @Test
    void invalidTokenAnswers401Json() {
        given().header("Authorization", "Bearer not-a-jwt").contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-chat", true).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(401).contentType("application/json")
                .body("error.type", equalTo("authentication_error"))
                .body("error.param", nullValue());
    }

    @Test
    void upstreamServerErrorAnswers502() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-500", true).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(502).body("error.type", equalTo("upstream_error"))
                .body("error.message", containsString("engine crashed"));
    }

    @Test
    void upstreamRequestErrorIsPassedThroughWithItsStatus() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("sim-400", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(400).body("error.message", containsString("maximum context length"));
    }

    @Test
    void connectFailureIsRetriedOnAnotherEndpointBeforeTheFirstByte() {
        // sim-flaky lists a dead endpoint and a live one; whichever is tried first, the call succeeds
        for (int i = 0; i < 3; i++) {
            given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                    .body(ChatCompletionsStreamingTest.chat("sim-flaky", false).encode())
                    .when().post("/v1/chat/completions")
                    .then().statusCode(200).body("usage.completion_tokens", equalTo(FakeServices.TOKENS.size()));
        }
    }

    @Test
    void modelsListsRunningModelsInOpenAiShape() {
        given().header("Authorization", ProxyClient.bearer())
                .when().get("/v1/models")
                .then().statusCode(200).body("object", equalTo("list"))
                .body("data.find { it.id == 'sim-chat' }.object", equalTo("model"))
                .body("data.find { it.id == 'sim-pending' }", nullValue());
    }
}
