package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
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
class ResponsesApiTest {

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    @Test
    void streamingResponsesAnswerIsTheGoldenEventStream() throws Exception {
        JsonObject body = new JsonObject().put("model", "sim-chat").put("input", "hi").put("stream", true);
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/responses", body,
                Map.of("Authorization", ProxyClient.bearer()));

        assertEquals(200, result.status());
        // the proxy's measured server metrics ride in response.completed's usage (checked, then pinned for the compare)
        assertEquals(GoldenFixtures.fixture("responses/responses-stream.sse"),
                GoldenFixtures.withFixtureMetrics(result.body()));
    }

    @Test
    void nonStreamingResponsesAnswerIsAResponseObject() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(new JsonObject().put("model", "sim-chat").put("input", "hi").encode())
                .when().post("/v1/responses")
                .then().statusCode(200)
                .body("object", equalTo("response"))
                .body("status", equalTo("completed"))
                .body("output[0].content[0].type", equalTo("output_text"))
                .body("output[0].content[0].text", equalTo(String.join("", FakeServices.TOKENS)))
                .body("usage.input_tokens", equalTo(7))
                .body("usage.output_tokens", equalTo(FakeServices.TOKENS.size()))
                .body("usage.time_to_first_token", notNullValue())
                .body("usage.total_latency", notNullValue())
                .body("usage.completion_tokens_after_first_per_sec", notNullValue());
    }

    @Test
    void imageFileAndAudioInputPartsReachTheUpstreamAsChatContentPartsAndAreAudited() throws Exception {
        byte[] png = { (byte) 0x89, 'P', 'N', 'G', 1, 2, 3 };
        byte[] pdf = "%PDF-1.4 tiny".getBytes(StandardCharsets.US_ASCII);
        byte[] wav = "RIFF....WAVEfmt ".getBytes(StandardCharsets.US_ASCII);
        String marker = UUID.randomUUID().toString();
        JsonArray content = new JsonArray()
                .add(new JsonObject().put("type", "input_text").put("text", "describe these"))
                .add(new JsonObject().put("type", "input_image").put("image_url", dataUrl("image/png", png)))
                .add(new JsonObject().put("type", "input_file").put("filename", "spec.pdf")
                        .put("file_data", dataUrl("application/pdf", pdf)))
                .add(new JsonObject().put("type", "input_audio").put("input_audio", new JsonObject()
                        .put("data", Base64.getEncoder().encodeToString(wav)).put("format", "wav")));
        JsonObject body = new JsonObject().put("model", "sim-chat").put("input", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", content)));
        given().header("Authorization", ProxyClient.bearer()).header("X-Correlation-Id", marker)
                .header("X-Parley-Overrides", new JsonObject().put("user", marker).encode())
                .contentType("application/json").body(body.encode())
                .when().post("/v1/responses").then().statusCode(200);

        JsonArray parts = FakeServices.upstreamRequests.stream().filter(r -> marker.equals(r.getString("user")))
                .findFirst().orElseThrow().getJsonArray("messages").getJsonObject(0).getJsonArray("content");
        assertEquals(List.of("text", "image_url", "file", "input_audio"),
                parts.stream().map(p -> ((JsonObject) p).getString("type")).toList());
        assertEquals(dataUrl("image/png", png), parts.getJsonObject(1).getJsonObject("image_url").getString("url"));
        assertEquals(new JsonObject().put("filename", "spec.pdf").put("file_data", dataUrl("application/pdf", pdf)),
                parts.getJsonObject(2).getJsonObject("file"));

        JsonArray audited = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, marker), r -> r.isPresent()).orElseThrow().event()
                .getJsonArray("attachments");
        assertEquals(List.of(audit("image/png", png), audit("application/pdf", pdf), audit("audio/wav", wav)),
                audited.stream().map(a -> (JsonObject) a).toList());
    }

    static String dataUrl(String mime, byte[] bytes) {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    static JsonObject audit(String mime, byte[] bytes) throws Exception {
        return new JsonObject().put("mime_type", mime).put("size_bytes", bytes.length)
                .put("sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    }

    @Test
    void responsesErrorsAreOpenAiShaped() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(new JsonObject().put("model", "no-such-model").put("input", "hi").encode())
                .when().post("/v1/responses")
                .then().statusCode(404).body("error.code", equalTo("model_not_found"));
    }
}
