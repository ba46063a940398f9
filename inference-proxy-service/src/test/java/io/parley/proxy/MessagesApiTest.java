package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class MessagesApiTest {

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    static JsonObject messages(String model, boolean stream) {
        return new JsonObject().put("model", model).put("max_tokens", 32).put("stream", stream)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
    }

    @Test
    void streamingMessagesAnswerIsTheGoldenAnthropicEventStream() throws Exception {
        String correlation = UUID.randomUUID().toString();
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/messages", messages("sim-chat", true),
                Map.of("Authorization", ProxyClient.bearer(), "X-Correlation-Id", correlation));

        assertEquals(200, result.status());
        assertEquals("text/event-stream", result.header("Content-Type"));
        assertEquals(GoldenFixtures.fixture("anthropic/messages-stream.sse"), result.body());

        JsonObject usage = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
        assertEquals("messages", usage.getString("endpoint_kind"));
        assertEquals(5, usage.getInteger("completion_tokens"));
        assertEquals(7, usage.getInteger("prompt_tokens"));
        assertEquals("ok", usage.getString("status"));
    }

    @Test
    void nonStreamingMessagesAnswerIsAnAnthropicMessage() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(messages("sim-chat", false).encode())
                .when().post("/v1/messages")
                .then().statusCode(200)
                .body("type", equalTo("message"))
                .body("role", equalTo("assistant"))
                .body("content[0].type", equalTo("text"))
                .body("content[0].text", equalTo(String.join("", FakeServices.TOKENS)))
                .body("stop_reason", equalTo("end_turn"))
                .body("usage.input_tokens", equalTo(7))
                .body("usage.output_tokens", equalTo(FakeServices.TOKENS.size()));
    }

    @Test
    void messagesErrorsUseAnthropicsErrorShape() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(messages("no-such-model", true).encode())
                .when().post("/v1/messages")
                .then().statusCode(404).body("type", equalTo("error"))
                .body("error.type", equalTo("not_found_error"));
        given().contentType("application/json").body(messages("sim-chat", true).encode())
                .when().post("/v1/messages")
                .then().statusCode(401).body("error.type", equalTo("authentication_error"));
    }
}
