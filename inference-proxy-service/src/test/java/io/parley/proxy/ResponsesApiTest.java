package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class ResponsesApiTest {

    @TestHTTPResource("/")
    URL base;

    @Test
    void streamingResponsesAnswerIsTheGoldenEventStream() throws Exception {
        JsonObject body = new JsonObject().put("model", "sim-chat").put("input", "hi").put("stream", true);
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/responses", body,
                Map.of("Authorization", ProxyClient.bearer()));

        assertEquals(200, result.status());
        assertEquals(GoldenFixtures.fixture("responses/responses-stream.sse"), result.body());
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
                .body("usage.output_tokens", equalTo(FakeServices.TOKENS.size()));
    }

    @Test
    void responsesErrorsAreOpenAiShaped() {
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(new JsonObject().put("model", "no-such-model").put("input", "hi").encode())
                .when().post("/v1/responses")
                .then().statusCode(404).body("error.code", equalTo("model_not_found"));
    }
}
