package io.parley.simulator.rest;

import static io.parley.simulator.rest.Requests.chat;
import static io.parley.simulator.rest.Requests.with;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketTimeoutException;
import java.net.URL;
import java.time.Duration;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class FailureInjectionTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TestHTTPResource("/")
    URL base;

    @Inject
    MeterRegistry registry;

    private double counter(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void beforeFirstByteAnswers500ErrorJsonAndCanBe503() {
        Requests.json(with(chat("fast-sim", "Hi"), "stream", true)).header("X-Simulator-Failure", "before-first-byte")
                .post("/v1/chat/completions").then().statusCode(500)
                .body("error.type", equalTo("InternalServerError")).body("error.code", equalTo(500));
        Requests.json(chat("fast-sim", "Hi")).header("X-Simulator-Failure", "before-first-byte")
                .header("X-Simulator-Failure-Status", "503")
                .post("/v1/chat/completions").then().statusCode(503).body("error.code", equalTo(503));
    }

    @Test
    void midStreamErrorSendsAnErrorEventAfterNTokensThenDone() {
        String body = Requests.json(with(chat("fast-sim", "Hi"), "stream", true))
                .header("X-Simulator-Failure", "mid-stream-error").header("X-Simulator-Failure-After-Tokens", "4")
                .post("/v1/chat/completions").then().statusCode(200).extract().asString();
        Sse sse = Sse.parse(body);
        assertTrue(sse.done());
        // role chunk + 4 content chunks, then the error event
        assertEquals(5, sse.choiceEvents().size());
        JsonNode error = sse.events().get(sse.events().size() - 1);
        assertEquals(500, error.at("/error/code").asInt());
        assertEquals("InternalServerError", error.at("/error/type").asText());
        sse.choiceEvents().forEach(c -> assertTrue(c.at("/choices/0/finish_reason").isNull()));
    }

    @Test
    void failureConfiguredOnTheModelAppliesWithoutHeaders() {
        Sse sse = Sse.parse(Requests.postChat(with(chat("broken-sim", "Hi"), "stream", true)).then().statusCode(200)
                .extract().asString());
        assertEquals(4, sse.choiceEvents().size());
        assertEquals(500, sse.events().get(sse.events().size() - 1).at("/error/code").asInt());
        Requests.postChat(chat("broken-sim", "Hi")).then().statusCode(500).body("error.code", equalTo(500));
    }

    @Test
    void midStreamHangStopsSendingButKeepsTheConnectionUntilTheClientLeaves() throws Exception {
        double hangsBefore = counter("simulator.injected.failures", "model", "hang-sim", "failure", "mid-stream-hang");
        double disconnectsBefore = counter("simulator.client.disconnects", "model", "hang-sim");
        String json = MAPPER.writeValueAsString(with(chat("hang-sim", "Hi"), "stream", true));
        try (RawStream stream = new RawStream(base, "/v1/chat/completions", json, "X-Simulator-Failure: mid-stream-hang",
                "X-Simulator-Failure-After-Tokens: 2")) {
            assertEquals("HTTP/1.1 200 OK", stream.statusLine());
            for (int i = 0; i < 3; i++) {
                JsonNode chunk = MAPPER.readTree(stream.nextData());
                assertTrue(chunk.at("/choices/0/finish_reason").isNull());
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> counter("simulator.injected.failures", "model",
                    "hang-sim", "failure", "mid-stream-hang") > hangsBefore);
            stream.setReadTimeoutMillis(300);
            assertThrows(SocketTimeoutException.class, stream::nextData, "nothing more is sent");
            assertFalse(counter("simulator.client.disconnects", "model", "hang-sim") > disconnectsBefore,
                    "the server keeps the connection open");
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> counter("simulator.client.disconnects", "model", "hang-sim") > disconnectsBefore);
    }

    @Test
    void badOverrideHeaderAnswers400() {
        Requests.json(chat("fast-sim", "Hi")).header("X-Simulator-Failure", "explode")
                .post("/v1/chat/completions").then().statusCode(400).body("error.type", equalTo("BadRequestError"));
        Requests.json(chat("fast-sim", "Hi")).header("X-Simulator-Itl-Ms", "-3")
                .post("/v1/chat/completions").then().statusCode(400);
    }

}
