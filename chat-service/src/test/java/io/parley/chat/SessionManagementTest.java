package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.BOB;
import static io.parley.chat.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Rename, model lock, params, delete, clear all, add message, regenerate, edit-and-resend, fork, export, view code. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class SessionManagementTest {

    @Test
    void patchRenamesAndUpdatesParamsWithValidation() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"title\":\"Renamed\",\"params\":{\"temperature\":1.2,\"system_prompt\":\"Be brief.\"}}")
                .patch("/v1/chat/sessions/" + id)
                .then().statusCode(200).body("title", equalTo("Renamed"))
                .body("params.temperature", equalTo(1.2f)).body("params.system_prompt", equalTo("Be brief."));
        as(ALICE).body("{\"params\":{\"temperature\":-1}}").patch("/v1/chat/sessions/" + id)
                .then().statusCode(400).body("error.param", equalTo("temperature"));
        as(ALICE).body("{\"params\":{\"max_tokens\":0}}").patch("/v1/chat/sessions/" + id)
                .then().statusCode(400).body("error.param", equalTo("max_tokens"));
        as(BOB).body("{\"title\":\"mine now\"}").patch("/v1/chat/sessions/" + id).then().statusCode(404);
        assertEquals("Renamed", Api.session(ALICE, id).getString("title"));
    }

    @Test
    void systemPromptAndParamsReachTheProxy() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"params\":{\"temperature\":0.2,\"top_p\":0.9,\"max_tokens\":64,\"system_prompt\":\"Be a pirate.\"}}")
                .patch("/v1/chat/sessions/" + id).then().statusCode(200);
        Api.turn(ALICE, id, "ahoy");
        JsonPath call = Api.proxyRequests().stream().map(r -> JsonPath.from(new io.vertx.core.json.JsonObject(r).encode()))
                .filter(r -> id.equals(r.getString("body.metadata.session_id"))).findFirst().orElseThrow();
        assertEquals(List.of("system", "user"), call.getList("body.messages.role"));
        assertEquals("Be a pirate.", call.getString("body.messages[0].content"));
        assertEquals(0.2f, call.getFloat("body.temperature"));
        assertEquals(0.9f, call.getFloat("body.top_p"));
        assertEquals(64, call.getInt("body.max_tokens"));
    }

    @Test
    void modelChangeIsAllowedBeforeTheFirstMessageAndAnswers409After() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"model\":\"slow-model\"}").patch("/v1/chat/sessions/" + id)
                .then().statusCode(200).body("model_name", equalTo("slow-model"));
        as(ALICE).body("{\"model\":\"nope\"}").patch("/v1/chat/sessions/" + id)
                .then().statusCode(404).body("error.code", equalTo("model_not_found"));
        as(ALICE).body("{\"role\":\"user\",\"content\":\"hi\"}").post("/v1/chat/sessions/" + id + "/messages")
                .then().statusCode(201);
        as(ALICE).body("{\"model\":\"sim-model\"}").patch("/v1/chat/sessions/" + id)
                .then().statusCode(409).body("error.code", equalTo("model_locked"))
                .body("error.param", equalTo("model"))
                .body("error.message", containsString("start a new chat or fork"));
    }

    @Test
    void addMessageStoresWithoutGenerationAndSetsTheTitle() {
        String id = Api.createSession(ALICE, "sim-model");
        int before = Api.proxyRequests().size();
        as(ALICE).body("{\"role\":\"user\",\"content\":\"Just a note\"}").post("/v1/chat/sessions/" + id + "/messages")
                .then().statusCode(201).body("role", equalTo("user")).body("status", equalTo("complete"));
        as(ALICE).body("{\"role\":\"robot\",\"content\":\"x\"}").post("/v1/chat/sessions/" + id + "/messages")
                .then().statusCode(400).body("error.param", equalTo("role"));
        assertEquals(before, Api.proxyRequests().size());
        JsonPath s = Api.session(ALICE, id);
        assertEquals("Just a note", s.getString("title"));
        assertEquals(1, s.getList("messages").size());
    }

    @Inject
    DataSource dataSource;

    @Test
    void deleteRemovesTheSessionAndItsMessagesAndClearAllOnlyTheCallers() throws Exception {
        String dan = TestTokens.user("dan", "user");
        String id = Api.createSession(dan, "sim-model");
        Api.turn(dan, id, "bye");
        assertEquals(2, messageRows(id));
        as(BOB).delete("/v1/chat/sessions/" + id).then().statusCode(404);
        as(dan).delete("/v1/chat/sessions/" + id).then().statusCode(204);
        as(dan).get("/v1/chat/sessions/" + id).then().statusCode(404);
        assertEquals(0, messageRows(id), "messages go with their session (ON DELETE CASCADE)");

        Api.createSession(dan, "sim-model");
        Api.createSession(dan, "sim-model");
        String bobs = Api.createSession(BOB, "sim-model");
        as(dan).delete("/v1/chat/sessions").then().statusCode(200).body("deleted", equalTo(2));
        assertEquals(List.of(), as(dan).get("/v1/chat/sessions").then().extract().path("data"));
        as(BOB).get("/v1/chat/sessions/" + bobs).then().statusCode(200);
    }

    private int messageRows(String sessionId) throws Exception {
        try (var c = dataSource.getConnection();
                var ps = c.prepareStatement("SELECT count(*) FROM chat_messages WHERE session_id = ?")) {
            ps.setObject(1, java.util.UUID.fromString(sessionId));
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Test
    void regenerateKeepsEarlierVersionsAsSiblings() {
        String id = Api.createSession(ALICE, "sim-model");
        String first = Api.turn(ALICE, id, "again please").get(0).json().getString("id");
        String body = as(ALICE).accept("text/event-stream")
                .post("/v1/chat/sessions/" + id + "/messages/" + first + "/regenerate")
                .then().statusCode(200).extract().asString();
        List<SseEvents.Event> events = SseEvents.parse(body);
        assertEquals("message_end", events.get(events.size() - 1).name());
        String second = events.get(0).json().getString("id");
        assertNotEquals(first, second);

        JsonPath s = Api.session(ALICE, id);
        assertEquals(List.of("user", "assistant", "assistant"), s.getList("messages.role"));
        String user = s.getString("messages[0].id");
        assertEquals(user, s.getString("messages[1].parent_id"));
        assertEquals(user, s.getString("messages[2].parent_id"));
        assertEquals("complete", s.getString("messages[1].status"));
        assertEquals("complete", s.getString("messages[2].status"));
        as(BOB).accept("text/event-stream").post("/v1/chat/sessions/" + id + "/messages/" + first + "/regenerate")
                .then().statusCode(404);
    }

    @Test
    void editAndResendBranchesFromTheEditedMessagesParent() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "original question");
        Api.turn(ALICE, id, "follow-up");
        JsonPath s = Api.session(ALICE, id);
        String firstAnswer = s.getString("messages[1].id");
        // edit "follow-up": same parent (the first answer), new content
        as(ALICE).accept("text/event-stream")
                .body("{\"content\":\"edited follow-up\",\"parent_id\":\"" + firstAnswer + "\"}")
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(200);
        s = Api.session(ALICE, id);
        assertEquals(6, s.getList("messages").size());
        assertEquals(firstAnswer, s.getString("messages[4].parent_id"));
        assertEquals(firstAnswer, s.getString("messages[2].parent_id"));
        JsonPath call = Api.proxyRequests().stream().map(r -> JsonPath.from(new io.vertx.core.json.JsonObject(r).encode()))
                .filter(r -> "edited follow-up".equals(r.getString("body.messages[-1].content"))).findFirst()
                .orElseThrow();
        assertEquals(List.of("original question", "Hello from the simulator.", "edited follow-up"),
                call.getList("body.messages.content"));
    }

    @Test
    void forkCopiesTheBranchIntoANewSessionWithAnotherModel() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "fork me");
        Api.turn(ALICE, id, "not copied");
        String firstAnswer = Api.session(ALICE, id).getString("messages[1].id");
        JsonPath fork = as(ALICE).body("{\"message_id\":\"" + firstAnswer + "\",\"model\":\"slow-model\"}")
                .post("/v1/chat/sessions/" + id + "/fork").then().statusCode(201).extract().jsonPath();
        assertNotEquals(id, fork.getString("id"));
        assertEquals("slow-model", fork.getString("model_name"));
        assertEquals(List.of("fork me", "Hello from the simulator."), fork.getList("messages.content"));
        assertEquals(fork.getString("messages[0].id"), fork.getString("messages[1].parent_id"));
        // the carried-over answer names the model that wrote it, its other metrics kept; the question names none
        assertEquals("sim-model", fork.getString("messages[1].metrics.model"));
        assertEquals(Api.session(ALICE, id).getDouble("messages[1].metrics.latency_ms"),
                fork.getDouble("messages[1].metrics.latency_ms"));
        assertEquals(null, fork.getString("messages[0].metrics.model"));
        // a fork of the fork with yet another model keeps the name of the model that wrote it
        JsonPath again = as(ALICE).body("{\"model\":\"sim-model\"}").post("/v1/chat/sessions/" + fork.getString("id")
                + "/fork").then().statusCode(201).extract().jsonPath();
        assertEquals("sim-model", again.getString("messages[1].metrics.model"));
        assertEquals(4, Api.session(ALICE, id).getList("messages").size());
        as(BOB).body("{}").post("/v1/chat/sessions/" + id + "/fork").then().statusCode(404);
    }

    @Test
    void exportAnswersMarkdownAndJson() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "export this");
        String md = as(ALICE).get("/v1/chat/sessions/" + id + "/export?format=markdown").then().statusCode(200)
                .extract().asString();
        assertTrue(md.startsWith("# export this"), md);
        assertTrue(md.contains("## User\n\nexport this"), md);
        assertTrue(md.contains("## Assistant\n\nHello from the simulator."), md);
        as(ALICE).get("/v1/chat/sessions/" + id + "/export?format=json").then().statusCode(200)
                .body("messages[1].content", equalTo("Hello from the simulator."));
        as(ALICE).get("/v1/chat/sessions/" + id + "/export?format=pdf").then().statusCode(400)
                .body("error.param", equalTo("format"));
    }

    @Test
    void viewCodeReplaysTheSessionsRequestWithAKeyPlaceholderAndNoSecret() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"params\":{\"temperature\":0.3,\"max_tokens\":50,\"system_prompt\":\"Be exact.\"}}")
                .patch("/v1/chat/sessions/" + id).then().statusCode(200);
        Api.turn(ALICE, id, "what's 2+2?");
        String base = Api.fakeUrl();
        for (String lang : List.of("python", "curl", "javascript")) {
            String code = as(ALICE).get("/v1/chat/sessions/" + id + "/code?lang=" + lang).then().statusCode(200)
                    .extract().asString();
            assertTrue(code.contains(base + "/v1"), lang + ": base URL\n" + code);
            assertTrue(code.contains("PARLEY_API_KEY"), lang + ": key placeholder");
            assertTrue(code.contains("sim-model") && code.contains("what's 2+2?") && code.contains("Be exact."),
                    lang + ": model and messages");
            assertTrue(code.contains("0.3") && code.contains("50"), lang + ": params");
            assertTrue(code.contains(id), lang + ": correlation id");
            assertTrue(code.contains("playground"), lang + ": metadata");
            assertFalse(code.contains(ALICE), lang + ": no token");
            assertFalse(code.contains("eyJ"), lang + ": no JWT");
            assertFalse(code.contains("test-secret"), lang + ": no client secret");
        }
        String curl = as(ALICE).get("/v1/chat/sessions/" + id + "/code?lang=curl").then().extract().asString();
        String json = curl.substring(curl.indexOf("<<'JSON'\n") + 9, curl.lastIndexOf("JSON"));
        JsonPath body = JsonPath.from(json);
        assertEquals(List.of("system", "user"), body.getList("messages.role"));
        assertEquals(true, body.getBoolean("stream"));
        // exactly what the playground sent
        JsonPath sent = Api.proxyRequests().stream().map(r -> JsonPath.from(new io.vertx.core.json.JsonObject(r).encode()))
                .filter(r -> id.equals(r.getString("body.metadata.session_id"))).findFirst().orElseThrow();
        assertEquals(sent.getMap("body"), body.getMap(""));
        as(ALICE).get("/v1/chat/sessions/" + id + "/code?lang=cobol").then().statusCode(400)
                .body("error.param", equalTo("lang"));
        as(BOB).get("/v1/chat/sessions/" + id + "/code?lang=curl").then().statusCode(404)
                .body(not(containsString("2+2")));
    }
}
