package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class TurnStreamingTest {

    @Test
    void streamedTurnYieldsMessageStartSeveralDeltasMetricsAndMessageEnd() {
        String id = Api.createSession(ALICE, "sim-model");
        List<SseEvents.Event> events = Api.turn(ALICE, id, "hello");

        List<String> names = SseEvents.names(events);
        assertEquals("message_start", names.get(0));
        assertEquals(List.of("delta", "delta", "delta", "delta", "delta"), names.subList(1, 6));
        assertEquals(List.of("metrics", "message_end"), names.subList(6, 8));

        String messageId = events.get(0).json().getString("id");
        assertEquals("assistant", events.get(0).json().getString("role"));
        assertNotNull(events.get(0).json().getString("created_at"));
        StringBuilder text = new StringBuilder();
        for (SseEvents.Event e : events.subList(1, 6)) {
            assertEquals(messageId, e.json().getString("id"));
            text.append(e.json().getString("content"));
        }
        assertEquals(String.join("", FakeUpstreams.SIM_DELTAS), text.toString());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(Integer.toString(i + 1), events.get(i).id(), "event ids count up for Last-Event-ID");
        }

        JsonPath end = events.get(7).json();
        assertEquals(messageId, end.getString("id"));
        assertEquals("Hello from the simulator.", end.getString("content"));
        assertEquals("complete", end.getString("status"));
        assertEquals(12, end.getInt("usage.prompt_tokens"));
        assertEquals(81.5f, end.getFloat("metrics.ttft_ms"));
        assertEquals(930.2f, end.getFloat("metrics.latency_ms"));
        assertEquals(47.1f, end.getFloat("metrics.tokens_per_sec"));
        assertEquals(5, end.getInt("metrics.completion_tokens"));
        assertEquals(81.5f, events.get(6).json().getFloat("ttft_ms"));
    }

    @Test
    void assistantMessageIsStoredCompleteWithContentUsageAndMetrics() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "store me");
        JsonPath s = Api.session(ALICE, id);
        assertEquals("user", s.getString("messages[0].role"));
        assertEquals("complete", s.getString("messages[0].status"));
        assertEquals("assistant", s.getString("messages[1].role"));
        assertEquals("complete", s.getString("messages[1].status"));
        assertEquals("Hello from the simulator.", s.getString("messages[1].content"));
        assertEquals(81.5f, s.getFloat("messages[1].metrics.ttft_ms"));
        assertEquals(930.2f, s.getFloat("messages[1].metrics.latency_ms"));
        assertEquals(47.1f, s.getFloat("messages[1].metrics.tokens_per_sec"));
        assertEquals(12, s.getInt("messages[1].metrics.prompt_tokens"));
        assertEquals(5, s.getInt("messages[1].metrics.completion_tokens"));
        assertEquals(17, s.getInt("messages[1].usage.total_tokens"));
        assertEquals(0.0815f, s.getFloat("messages[1].usage.time_to_first_token"));
    }

    @Test
    void userMessageIsStoredBeforeTheAnswerAndTheAnswerIsStreamingMeanwhile() throws Exception {
        String id = Api.createSession(ALICE, "hang-model");
        try (LiveTurn live = LiveTurn.post(Api.ALICE, id, "{\"content\":\"wait for it\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().contains("delta"));
            JsonPath s = Api.session(ALICE, id);
            assertEquals(List.of("user", "assistant"), s.getList("messages.role"));
            assertEquals("wait for it", s.getString("messages[0].content"));
            assertEquals("complete", s.getString("messages[0].status"));
            assertEquals("streaming", s.getString("messages[1].status"));
            assertEquals(live.turnId(), s.getString("messages[1].id"));
            as(ALICE).post("/v1/chat/sessions/" + id + "/turns/" + live.turnId() + "/stop").then().statusCode(200);
        }
    }

    @Test
    void proxyIsCalledWithTheUsersTokenAndThePlaygroundEnvelope() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "envelope");
        Map<String, Object> call = Api.proxyRequests().stream()
                .filter(r -> "envelope".equals(JsonPath.from(new io.vertx.core.json.JsonObject(r).encode())
                        .getString("body.messages[-1].content")))
                .findFirst().orElseThrow();
        JsonPath c = JsonPath.from(new io.vertx.core.json.JsonObject(call).encode());
        assertEquals("Bearer " + ALICE, c.getString("headers.authorization"));
        assertEquals(id, c.getString("headers.x-correlation-id"));
        assertEquals("sim-model", c.getString("body.model"));
        assertEquals(true, c.getBoolean("body.stream"));
        assertEquals(true, c.getBoolean("body.stream_options.include_usage"));
        assertEquals("playground", c.getString("body.metadata.source"));
        assertEquals("alice", c.getString("body.metadata.user"));
        assertEquals(0.7f, c.getFloat("body.temperature"));
        assertEquals(List.of("user"), c.getList("body.messages.role"));
    }

    @Test
    void upstreamErrorMidStreamKeepsThePartialContentWithStatusError() {
        String id = Api.createSession(ALICE, "fail-model");
        List<SseEvents.Event> events = Api.turn(ALICE, id, "break please");
        List<String> names = SseEvents.names(events);
        assertEquals(List.of("message_start", "delta", "delta", "metrics", "error", "message_end"), names);
        assertEquals("upstream pod failed mid-stream", events.get(4).json().getString("message"));
        assertEquals("error", events.get(5).json().getString("status"));
        assertEquals("partial answer", events.get(5).json().getString("content"));

        JsonPath s = Api.session(ALICE, id);
        assertEquals("error", s.getString("messages[1].status"));
        assertEquals("partial answer", s.getString("messages[1].content"));
        assertEquals("upstream pod failed mid-stream", s.getString("messages[1].error"));
    }

    @Test
    void aVllmErrorChunkMidStreamAlsoEndsTheTurnAsErrorWithThePartialText() {
        String id = Api.createSession(ALICE, "vllm-fail-model");
        List<SseEvents.Event> events = Api.turn(ALICE, id, "crash");
        assertEquals(List.of("message_start", "delta", "metrics", "error", "message_end"), SseEvents.names(events));
        JsonPath s = Api.session(ALICE, id);
        assertEquals("error", s.getString("messages[1].status"));
        assertEquals("half", s.getString("messages[1].content"));
        assertEquals("engine crashed", s.getString("messages[1].error"));
    }

    @Test
    void upstreamRefusalBeforeTheFirstByteIsStoredAsErrorWithTheProxysReason() {
        String id = Api.createSession(ALICE, "down-model");
        List<SseEvents.Event> events = Api.turn(ALICE, id, "anyone there");
        assertEquals(List.of("message_start", "metrics", "error", "message_end"), SseEvents.names(events));
        assertEquals("model_not_ready", events.get(2).json().getString("type"));
        JsonPath s = Api.session(ALICE, id);
        assertEquals("error", s.getString("messages[1].status"));
        assertTrue(s.getString("messages[1].error").contains("pod default-0 not ready"));
    }

    @Test
    void aClientThatAcceptsAnythingGetsTheStream() {
        String id = Api.createSession(ALICE, "sim-model");
        String body = as(ALICE).accept("*/*").body("{\"content\":\"curl style\"}")
                .post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(200).contentType(Api.containsEventStream())
                .header("X-Accel-Buffering", "no").extract().asString();
        assertEquals("message_end", SseEvents.names(SseEvents.parse(body)).get(7));
    }

    @Test
    void emptyContentAnswers400NamingContent() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).accept("text/event-stream").body("{\"content\":\"  \"}").post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(400).body("error.param", equalTo("content"));
        as(ALICE).accept("text/event-stream").body("{}").post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(400).body("error.param", equalTo("content"));
    }

    @Test
    void historyOfEarlierTurnsIsSentWithTheNextTurn() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "one");
        Api.turn(ALICE, id, "two");
        Map<String, Object> call = Api.proxyRequests().stream()
                .filter(r -> "/v1/chat/completions".equals(r.get("path"))
                        && new io.vertx.core.json.JsonObject(r).getJsonObject("body").getJsonArray("messages")
                                .size() == 3
                        && new io.vertx.core.json.JsonObject(r).getJsonObject("body").getJsonObject("metadata")
                                .getString("session_id").equals(id))
                .findFirst().orElseThrow();
        JsonPath c = JsonPath.from(new io.vertx.core.json.JsonObject(call).encode());
        assertEquals(List.of("user", "assistant", "user"), c.getList("body.messages.role"));
        assertEquals(List.of("one", "Hello from the simulator.", "two"), c.getList("body.messages.content"));
    }
}
