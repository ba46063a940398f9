package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
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
        // the proxy's measured server metrics ride in message_delta's usage (checked, then pinned for the compare)
        assertEquals(GoldenFixtures.fixture("anthropic/messages-stream.sse"),
                GoldenFixtures.withFixtureMetrics(result.body()));

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
                .body("usage.output_tokens", equalTo(FakeServices.TOKENS.size()))
                .body("usage.time_to_first_token", notNullValue())
                .body("usage.total_latency", notNullValue())
                .body("usage.completion_tokens_after_first_per_sec", notNullValue());
    }

    @Test
    void imageAndPdfDocumentBlocksReachTheUpstreamAsChatContentPartsAndAreAudited() throws Exception {
        byte[] jpeg = { (byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 9, 8, 7 };
        byte[] pdf = "%PDF-1.7 small".getBytes(StandardCharsets.US_ASCII);
        String marker = UUID.randomUUID().toString();
        JsonArray content = new JsonArray()
                .add(new JsonObject().put("type", "image").put("source", new JsonObject().put("type", "base64")
                        .put("media_type", "image/jpeg").put("data", Base64.getEncoder().encodeToString(jpeg))))
                .add(new JsonObject().put("type", "document").put("title", "report.pdf").put("source", new JsonObject()
                        .put("type", "base64").put("media_type", "application/pdf")
                        .put("data", Base64.getEncoder().encodeToString(pdf))))
                .add(new JsonObject().put("type", "text").put("text", "summarise"));
        JsonObject body = messages("sim-chat", false).put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", content)));
        given().header("Authorization", ProxyClient.bearer()).header("X-Correlation-Id", marker)
                .header("X-Parley-Overrides", new JsonObject().put("user", marker).encode())
                .contentType("application/json").body(body.encode())
                .when().post("/v1/messages").then().statusCode(200);

        JsonArray parts = FakeServices.upstreamRequests.stream().filter(r -> marker.equals(r.getString("user")))
                .findFirst().orElseThrow().getJsonArray("messages").getJsonObject(0).getJsonArray("content");
        assertEquals(List.of("image_url", "file", "text"),
                parts.stream().map(p -> ((JsonObject) p).getString("type")).toList());
        assertEquals(new JsonObject().put("filename", "report.pdf")
                .put("file_data", ResponsesApiTest.dataUrl("application/pdf", pdf)),
                parts.getJsonObject(1).getJsonObject("file"));

        JsonArray audited = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, marker), r -> r.isPresent()).orElseThrow().event()
                .getJsonArray("attachments");
        assertEquals(List.of(ResponsesApiTest.audit("image/jpeg", jpeg), ResponsesApiTest.audit("application/pdf", pdf)),
                audited.stream().map(a -> (JsonObject) a).toList());
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
