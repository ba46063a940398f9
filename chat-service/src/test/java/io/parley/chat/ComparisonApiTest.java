package io.parley.chat;

import static io.parley.chat.Api.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Compare models side by side: {@code /v1/chat/comparisons}, each column an ordinary session and turn. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class ComparisonApiTest {

    private static String user() {
        return TestTokens.user("cmp-" + UUID.randomUUID().toString().substring(0, 8), "user");
    }

    private static JsonPath create(String token, String json) {
        return as(token).body(json).post("/v1/chat/comparisons").then().statusCode(201).extract().jsonPath();
    }

    private static List<SseEvents.Event> follow(String token, String sessionId, String turnId) {
        String body = as(token).accept("text/event-stream")
                .get("/v1/chat/sessions/" + sessionId + "/turns/" + turnId + "/events")
                .then().statusCode(200).extract().asString();
        return SseEvents.parse(body);
    }

    @Test
    void onePromptStreamsInEveryColumnWithTheServersMetricsAndIsKeptInHistory() {
        String token = user();
        JsonPath c = create(token, "{\"content\":\"Which is faster?\",\"models\":[\"sim-model\",\"slow-model\"],"
                + "\"params\":{\"temperature\":0.2}}");
        String id = c.getString("id");
        assertEquals(List.of("sim-model", "slow-model"), c.getList("models"));
        assertEquals("Which is faster?", c.getString("prompt"));
        assertEquals(2, c.getList("columns").size());
        for (int i = 0; i < 2; i++) {
            String session = c.getString("columns[" + i + "].session_id");
            String turn = c.getString("columns[" + i + "].turn_id");
            List<SseEvents.Event> events = follow(token, session, turn);
            SseEvents.Event end = events.get(events.size() - 1);
            assertEquals("message_end", end.name());
            assertEquals("complete", end.json().getString("status"));
            // the proxy's server-side figures, not a measurement of this test
            assertEquals(81.5f, end.json().getFloat("metrics.ttft_ms"));
            assertEquals(47.1f, end.json().getFloat("metrics.tokens_per_sec"));
            assertEquals(930.2f, end.json().getFloat("metrics.latency_ms"));
            assertEquals(12, end.json().getInt("metrics.prompt_tokens"));
        }
        // both proxy calls carry the same prompt and params, one per model
        for (int i = 0; i < 2; i++) {
            JsonPath sent = Api.lastProxyRequestFor(c.getString("columns[" + i + "].session_id"));
            assertEquals(c.getString("columns[" + i + "].model"), sent.getString("body.model"));
            assertEquals("Which is faster?", sent.getString("body.messages[0].content"));
            assertEquals(0.2f, sent.getFloat("body.temperature"));
        }
        JsonPath reopened = as(token).get("/v1/chat/comparisons/" + id).then().statusCode(200).extract().jsonPath();
        assertEquals("complete", reopened.getString("columns[0].status"));
        assertEquals("Hello from the simulator.", reopened.getString("columns[0].messages[1].content"));
        assertEquals("w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 ",
                reopened.getString("columns[1].messages[1].content"));
        as(token).get("/v1/chat/comparisons").then().statusCode(200)
                .body("data", hasSize(1)).body("data[0].id", equalTo(id))
                .body("data[0].models", equalTo(List.of("sim-model", "slow-model")))
                .body("data[0].title", equalTo("Which is faster?"));
        // the columns are not chats of their own in the chat list
        as(token).get("/v1/chat/sessions").then().statusCode(200).body("data", hasSize(0));
    }

    @Test
    void aColumnStopsOnItsOwnAndStopAllFindsTheRestEnded() throws Exception {
        String token = user();
        JsonPath c = create(token, "{\"content\":\"go\",\"models\":[\"hang-model\",\"sim-model\"]}");
        String hangSession = c.getString("columns[0].session_id");
        String hangTurn = c.getString("columns[0].turn_id");
        String simSession = c.getString("columns[1].session_id");
        String simTurn = c.getString("columns[1].turn_id");
        try (LiveTurn live = LiveTurn.get(token, "/v1/chat/sessions/" + hangSession + "/turns/" + hangTurn
                + "/events", null)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> live.names().contains("delta"));
            as(token).post("/v1/chat/sessions/" + hangSession + "/turns/" + hangTurn + "/stop").then()
                    .statusCode(200).body("stop_result", equalTo("stopped")).body("status", equalTo("stopped"));
        }
        List<SseEvents.Event> sim = follow(token, simSession, simTurn);
        assertEquals("complete", sim.get(sim.size() - 1).json().getString("status"));
        JsonPath all = as(token).post("/v1/chat/comparisons/" + c.getString("id") + "/stop").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("already_ended", "already_ended"), all.getList("columns.stop_result"));
        assertEquals(List.of("stopped", "complete"), all.getList("columns.status"));
    }

    @Test
    void stopAllStopsEveryColumnStillGenerating() {
        String token = user();
        JsonPath c = create(token, "{\"content\":\"go\",\"models\":[\"hang-model\",\"sim-model\"]}");
        List<SseEvents.Event> sim = follow(token, c.getString("columns[1].session_id"),
                c.getString("columns[1].turn_id"));
        assertEquals("complete", sim.get(sim.size() - 1).json().getString("status"));
        JsonPath all = as(token).post("/v1/chat/comparisons/" + c.getString("id") + "/stop").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("stopped", "already_ended"), all.getList("columns.stop_result"));
        assertEquals("stopped", as(token).get("/v1/chat/comparisons/" + c.getString("id")).then().statusCode(200)
                .extract().path("columns[0].status"));
    }

    @Test
    void continueWithOneColumnMakesANormalChatOfThePromptAndThatAnswer() {
        String token = user();
        JsonPath c = create(token, "{\"content\":\"Say hi\",\"models\":[\"sim-model\",\"slow-model\"],"
                + "\"title\":\"Greeting test\"}");
        String simSession = c.getString("columns[0].session_id");
        follow(token, simSession, c.getString("columns[0].turn_id"));
        JsonPath chat = as(token).body("{\"session_id\":\"" + simSession + "\"}")
                .post("/v1/chat/comparisons/" + c.getString("id") + "/continue").then().statusCode(201)
                .body("model_name", equalTo("sim-model")).body("title", equalTo("Greeting test"))
                .extract().jsonPath();
        assertEquals(List.of("user", "assistant"), chat.getList("messages.role"));
        assertEquals("Say hi", chat.getString("messages[0].content"));
        assertEquals("Hello from the simulator.", chat.getString("messages[1].content"));
        assertEquals(81.5f, chat.getFloat("messages[1].metrics.ttft_ms"));
        String chatId = chat.getString("id");
        as(token).get("/v1/chat/sessions").then().statusCode(200).body("data", hasSize(1))
                .body("data[0].id", equalTo(chatId));
        // the chat goes on like any other
        List<SseEvents.Event> next = Api.turn(token, chatId, "And again");
        assertEquals("complete", next.get(next.size() - 1).json().getString("status"));
        JsonPath sent = Api.lastProxyRequestFor(chatId);
        assertEquals(List.of("Say hi", "Hello from the simulator.", "And again"), sent.getList("body.messages.content"));
        // the comparison stays
        as(token).get("/v1/chat/comparisons/" + c.getString("id")).then().statusCode(200)
                .body("columns", hasSize(2));
    }

    @Test
    void continueRefusesAForeignSessionAndAColumnStillGenerating() {
        String token = user();
        JsonPath c = create(token, "{\"content\":\"go\",\"models\":[\"hang-model\",\"sim-model\"]}");
        String id = c.getString("id");
        String own = Api.createSession(token, "sim-model");
        as(token).body("{\"session_id\":\"" + own + "\"}").post("/v1/chat/comparisons/" + id + "/continue").then()
                .statusCode(400).body("error.param", equalTo("session_id"));
        as(token).body("{}").post("/v1/chat/comparisons/" + id + "/continue").then().statusCode(400)
                .body("error.param", equalTo("session_id"));
        as(token).body("{\"session_id\":\"" + c.getString("columns[0].session_id") + "\"}")
                .post("/v1/chat/comparisons/" + id + "/continue").then().statusCode(409)
                .body("error.code", equalTo("turn_in_progress"));
        as(token).post("/v1/chat/comparisons/" + id + "/stop").then().statusCode(200);
    }

    @Test
    void refusedComparisonsNameTheModelAndStoreNothing() {
        String token = user();
        as(token).body("{\"content\":\"x\",\"models\":[\"sim-model\"]}").post("/v1/chat/comparisons").then()
                .statusCode(400).body("error.param", equalTo("models"));
        as(token).body("{\"content\":\"x\",\"models\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}").post("/v1/chat/comparisons")
                .then().statusCode(400).body("error.param", equalTo("models"));
        as(token).body("{\"content\":\"x\",\"models\":[\"sim-model\",\"sim-model\"]}").post("/v1/chat/comparisons")
                .then().statusCode(400).body("error.param", equalTo("models[1]"));
        as(token).body("{\"content\":\" \",\"models\":[\"sim-model\",\"slow-model\"]}").post("/v1/chat/comparisons")
                .then().statusCode(400).body("error.param", equalTo("content"));
        as(token).body("{\"content\":\"x\",\"models\":[\"sim-model\",\"down-model\"]}").post("/v1/chat/comparisons")
                .then().statusCode(409).body("error.code", equalTo("model_not_running"))
                .body("error.param", equalTo("models[1]"))
                .body("error.message", containsString(FakeUpstreams.DOWN_REASON));
        as(token).body("{\"content\":\"x\",\"models\":[\"nope-model\",\"sim-model\"]}").post("/v1/chat/comparisons")
                .then().statusCode(404).body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("models[0]"));
        as(token).body("{\"content\":\"x\",\"models\":[\"sim-model\",\"embed-model\"]}").post("/v1/chat/comparisons")
                .then().statusCode(400).body("error.code", equalTo("model_not_chat"))
                .body("error.param", equalTo("model"));
        as(token).body("{\"content\":\"x\",\"models\":[\"sim-model\",\"slow-model\"],\"params\":{\"top_p\":1.5}}")
                .post("/v1/chat/comparisons").then().statusCode(400).body("error.param", equalTo("top_p"));
        as(token).body("{\"content\":\"x\",\"models\":[\"sim-model\",\"slow-model\"],\"endpoint_mode\":\"nope\"}")
                .post("/v1/chat/comparisons").then().statusCode(400).body("error.param", equalTo("endpoint_mode"));
        as(token).get("/v1/chat/comparisons").then().statusCode(200).body("data", hasSize(0));
        as(token).get("/v1/chat/sessions").then().statusCode(200).body("data", hasSize(0));
    }

    @Test
    void anotherUsersComparisonIsNotFoundAndDeleteTakesTheColumnsWithIt() {
        String alice = user();
        String bob = user();
        JsonPath c = create(alice, "{\"content\":\"hi\",\"models\":[\"sim-model\",\"slow-model\"]}");
        String id = c.getString("id");
        String column = c.getString("columns[0].session_id");
        follow(alice, column, c.getString("columns[0].turn_id"));
        follow(alice, c.getString("columns[1].session_id"), c.getString("columns[1].turn_id"));
        as(bob).get("/v1/chat/comparisons/" + id).then().statusCode(404);
        as(bob).post("/v1/chat/comparisons/" + id + "/stop").then().statusCode(404);
        as(bob).body("{\"session_id\":\"" + column + "\"}").post("/v1/chat/comparisons/" + id + "/continue").then()
                .statusCode(404);
        as(bob).delete("/v1/chat/comparisons/" + id).then().statusCode(404);
        as(bob).get("/v1/chat/comparisons").then().statusCode(200).body("data", hasSize(0));
        as(alice).delete("/v1/chat/comparisons/" + id).then().statusCode(204);
        as(alice).get("/v1/chat/comparisons/" + id).then().statusCode(404);
        as(alice).get("/v1/chat/sessions/" + column).then().statusCode(404);
    }

    @Test
    void clearAllDeletesComparisonsToo() {
        String token = user();
        JsonPath c = create(token, "{\"content\":\"hi\",\"models\":[\"sim-model\",\"slow-model\"]}");
        follow(token, c.getString("columns[0].session_id"), c.getString("columns[0].turn_id"));
        follow(token, c.getString("columns[1].session_id"), c.getString("columns[1].turn_id"));
        Api.createSession(token, "sim-model");
        as(token).delete("/v1/chat/sessions").then().statusCode(200).body("deleted", equalTo(2));
        as(token).get("/v1/chat/comparisons").then().statusCode(200).body("data", hasSize(0));
        assertFalse(c.getString("id").isEmpty());
        assertTrue(notNullValue().matches(c.getString("created_at")));
    }
}
