package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The official Anthropic Java SDK, unchanged, against /v1/messages, authenticated by a Parley API key (x-api-key). */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class AnthropicSdkConformanceTest {

    @TestHTTPResource("/")
    URL base;

    AnthropicClient client;

    @BeforeEach
    void client() {
        String key = given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body("{\"name\":\"anthropic-sdk\"}").when().post("/v1/keys").then().statusCode(201).extract()
                .path("key");
        String url = base.toString().endsWith("/") ? base.toString().substring(0, base.toString().length() - 1)
                : base.toString();
        client = AnthropicOkHttpClient.builder().baseUrl(url).apiKey(key).maxRetries(0).build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    private static MessageCreateParams params() {
        return MessageCreateParams.builder().model("sim-chat").maxTokens(32).addUserMessage("hi").build();
    }

    @Test
    void sdkReadsANonStreamedMessage() {
        Message message = client.messages().create(params());
        assertEquals(String.join("", FakeServices.TOKENS), message.content().get(0).text().orElseThrow().text());
        assertEquals(StopReason.END_TURN, message.stopReason().orElseThrow());
        assertEquals(FakeServices.TOKENS.size(), message.usage().outputTokens());
        assertEquals(7, message.usage().inputTokens());
    }

    @Test
    void sdkReadsAStreamedMessage() {
        StringBuilder text = new StringBuilder();
        long[] outputTokens = { -1 };
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params())) {
            stream.stream().forEach(event -> {
                event.contentBlockDelta().ifPresent(d -> d.delta().text().ifPresent(t -> text.append(t.text())));
                event.messageDelta().ifPresent(d -> outputTokens[0] = d.usage().outputTokens());
            });
        }
        assertEquals(String.join("", FakeServices.TOKENS), text.toString());
        assertEquals(FakeServices.TOKENS.size(), outputTokens[0]);
    }
}
