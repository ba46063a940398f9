package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.BOB;
import static io.parley.chat.Api.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Stop, disconnect, resume, idempotency and the non-streaming fallback (issue 5, point 3). */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class TurnLifecycleTest {

    static final String SLOW_ANSWER = IntStream.range(0, 20).mapToObj(i -> "w" + i + " ").collect(Collectors.joining());

    @Test
    void stopCancelsTheUpstreamAndPersistsThePartialAnswerAsStopped() throws Exception {
        String id = Api.createSession(ALICE, "hang-model");
        int cancelsBefore = Api.proxyCancels();
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"never ending\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().stream().filter("delta"::equals).count() == 2);

            as(ALICE).post("/v1/chat/sessions/" + id + "/turns/" + live.turnId() + "/stop")
                    .then().statusCode(200)
                    .body("id", equalTo(live.turnId()))
                    .body("status", equalTo("stopped"))
                    .body("content", equalTo("thinking hard"));

            await().atMost(Duration.ofSeconds(10)).until(live::finished);
            SseEvents.Event end = live.events().get(live.events().size() - 1);
            assertEquals("message_end", end.name());
            assertEquals("stopped", end.json().getString("status"));
            assertEquals("thinking hard", end.json().getString("content"));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Api.proxyCancels() > cancelsBefore);
        JsonPath s = Api.session(ALICE, id);
        assertEquals("stopped", s.getString("messages[1].status"));
        assertEquals("thinking hard", s.getString("messages[1].content"));
        // no usage chunk came: the two deltas received are its tokens, kept with the stopped answer and in message_end
        assertEquals(2, s.getInt("messages[1].metrics.completion_tokens"));
        assertTrue(s.getDouble("messages[1].metrics.tokens_per_sec") > 0, s.prettify());
    }

    @Test
    void thePartialTextOfARunningTurnIsStoredWhileItStreams() throws Exception {
        String id = Api.createSession(ALICE, "hang-model");
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"slowly\"}")) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonPath s = Api.session(ALICE, id);
                assertEquals("streaming", s.getString("messages[1].status"));
                assertEquals("thinking hard", s.getString("messages[1].content"));
            });
            as(ALICE).post("/v1/chat/sessions/" + id + "/turns/" + live.turnId() + "/stop").then().statusCode(200);
        }
    }

    @Test
    void droppedConnectionKeepsGeneratingAndStoresTheFullAnswer() throws Exception {
        String id = Api.createSession(ALICE, "slow-model");
        String turnId;
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"long answer\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().contains("delta"));
            turnId = live.turnId();
        } // the browser tab closes here
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonPath s = Api.session(ALICE, id);
            assertEquals("complete", s.getString("messages[1].status"));
        });
        JsonPath s = Api.session(ALICE, id);
        assertEquals(List.of("user", "assistant"), s.getList("messages.role"));
        assertEquals(turnId, s.getString("messages[1].id"));
        assertEquals(SLOW_ANSWER, s.getString("messages[1].content"));
    }

    @Test
    void resumingWithLastEventIdReplaysTheRestAndFollowsToTheEndSoTheAnswerArrivesOnce() throws Exception {
        String id = Api.createSession(ALICE, "slow-model");
        String turnId;
        List<SseEvents.Event> before;
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"resume me\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().stream().filter("delta"::equals).count() >= 2);
            turnId = live.turnId();
            before = List.copyOf(live.events());
        }
        String lastId = before.get(before.size() - 1).id();
        try (LiveTurn resumed = LiveTurn.get(ALICE, "/v1/chat/sessions/" + id + "/turns/" + turnId + "/events",
                lastId)) {
            assertEquals(200, resumed.status());
            await().atMost(Duration.ofSeconds(15)).until(resumed::finished);
            List<SseEvents.Event> after = resumed.events();
            assertEquals(Long.parseLong(lastId) + 1, Long.parseLong(after.get(0).id()), "continues after Last-Event-ID");
            String text = java.util.stream.Stream.concat(before.stream(), after.stream())
                    .filter(e -> "delta".equals(e.name())).map(e -> e.json().getString("content"))
                    .collect(Collectors.joining());
            assertEquals(SLOW_ANSWER, text);
            SseEvents.Event end = after.get(after.size() - 1);
            assertEquals("message_end", end.name());
            assertEquals(SLOW_ANSWER, end.json().getString("content"));
        }
        assertEquals(2, Api.session(ALICE, id).getList("messages").size());
    }

    @Test
    void eventsOfAFinishedTurnReplayFromTheStart() {
        String id = Api.createSession(ALICE, "sim-model");
        List<SseEvents.Event> live = Api.turn(ALICE, id, "replay");
        String turnId = live.get(0).json().getString("id");
        String body = as(ALICE).accept("text/event-stream").get("/v1/chat/sessions/" + id + "/turns/" + turnId + "/events")
                .then().statusCode(200).extract().asString();
        assertEquals(SseEvents.names(live), SseEvents.names(SseEvents.parse(body)));
    }

    @Test
    void anotherUsersTurnAnswers404ForEventsAndStop() {
        String id = Api.createSession(ALICE, "sim-model");
        String turnId = Api.turn(ALICE, id, "mine").get(0).json().getString("id");
        as(BOB).accept("text/event-stream").get("/v1/chat/sessions/" + id + "/turns/" + turnId + "/events")
                .then().statusCode(404);
        as(BOB).post("/v1/chat/sessions/" + id + "/turns/" + turnId + "/stop").then().statusCode(404);
        String bobs = Api.createSession(BOB, "sim-model");
        as(BOB).post("/v1/chat/sessions/" + bobs + "/turns/" + turnId + "/stop").then().statusCode(404);
    }

    @Test
    void replayingAnIdempotencyKeyDoesNotCreateASecondTurn() {
        String id = Api.createSession(ALICE, "sim-model");
        String json = "{\"content\":\"once only\",\"idempotency_key\":\"k-123\"}";
        var first = as(ALICE).accept("text/event-stream").body(json).post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(200).extract();
        var second = as(ALICE).accept("text/event-stream").body(json).post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(200).extract();
        assertEquals(first.header("X-Turn-Id"), second.header("X-Turn-Id"));
        List<SseEvents.Event> replay = SseEvents.parse(second.asString());
        assertEquals("message_end", replay.get(replay.size() - 1).name());
        assertEquals("Hello from the simulator.", replay.get(replay.size() - 1).json().getString("content"));
        assertEquals(List.of("user", "assistant"), Api.session(ALICE, id).getList("messages.role"));
        long calls = Api.proxyRequests().stream()
                .filter(r -> "once only".equals(JsonPath.from(new io.vertx.core.json.JsonObject(r).encode())
                        .getString("body.messages[-1].content")))
                .count();
        assertEquals(1, calls);
    }

    @Test
    void nonStreamingFallbackAnswersTheStoredAssistantMessage() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).accept("application/json").body("{\"content\":\"no stream please\"}")
                .post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(200)
                .body("role", equalTo("assistant"))
                .body("status", equalTo("complete"))
                .body("content", equalTo("Hello from the simulator."))
                .body("metrics.ttft_ms", equalTo(81.5f));
    }

    @Test
    void aSecondTurnWhileOneRunsAnswers409() throws Exception {
        String id = Api.createSession(ALICE, "hang-model");
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"first\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().contains("delta"));
            as(ALICE).accept("text/event-stream").body("{\"content\":\"second\"}")
                    .post("/v1/chat/sessions/" + id + "/turns")
                    .then().statusCode(409).body("error.code", equalTo("turn_in_progress"));
            as(ALICE).post("/v1/chat/sessions/" + id + "/turns/" + live.turnId() + "/stop").then().statusCode(200);
        }
        assertTrue(Api.session(ALICE, id).getList("messages").size() == 2);
    }
}
