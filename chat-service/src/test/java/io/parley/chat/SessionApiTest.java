package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.BOB;
import static io.parley.chat.Api.as;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class SessionApiTest {

    @Test
    void createAnswers201WithModelEngineConstraintsAndDefaultParams() {
        as(ALICE).body("{\"model\":\"sim-model\",\"title\":\"My chat\",\"params\":{\"max_tokens\":100}}")
                .post("/v1/chat/sessions")
                .then().statusCode(201)
                .body("id", notNullValue())
                .body("title", equalTo("My chat"))
                .body("model_name", equalTo("sim-model"))
                .body("engine_type", equalTo("vllm"))
                .body("constraints.max_model_len", equalTo(4096))
                .body("params.temperature", equalTo(0.7f))
                .body("params.max_tokens", equalTo(100))
                .body("created_at", notNullValue())
                .body("updated_at", notNullValue());
    }

    @Test
    void createWithUnknownModelAnswers404ModelNotFound() {
        as(ALICE).body("{\"model\":\"no-such-model\"}").post("/v1/chat/sessions")
                .then().statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"))
                .body("error.message", equalTo("model 'no-such-model' not found"));
    }

    @Test
    void createWithoutModelAnswers400NamingModel() {
        as(ALICE).body("{\"title\":\"x\"}").post("/v1/chat/sessions")
                .then().statusCode(400).body("error.param", equalTo("model"))
                .body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void outOfRangeParamsAnswer400NamingTheField() {
        as(ALICE).body("{\"model\":\"sim-model\",\"params\":{\"temperature\":2.5}}").post("/v1/chat/sessions")
                .then().statusCode(400).body("error.param", equalTo("temperature"));
        as(ALICE).body("{\"model\":\"sim-model\",\"params\":{\"max_tokens\":5000}}").post("/v1/chat/sessions")
                .then().statusCode(400).body("error.param", equalTo("max_tokens"))
                .body("error.message", startsWith("max_tokens must be an integer between 1 and 4096"));
        as(ALICE).body("{\"model\":\"sim-model\",\"params\":{\"top_p\":0}}").post("/v1/chat/sessions")
                .then().statusCode(400).body("error.param", equalTo("top_p"));
        as(ALICE).body("{\"model\":\"sim-model\",\"params\":{\"seed\":1}}").post("/v1/chat/sessions")
                .then().statusCode(400).body("error.param", equalTo("seed"));
    }

    @Test
    void malformedJsonAnswers400Json() {
        as(ALICE).body("{\"model\":").post("/v1/chat/sessions")
                .then().statusCode(400).body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void listShowsOnlyTheCallersSessionsNewestFirst() {
        String carol = TestTokens.user("carol", "user");
        String first = Api.createSession(carol, "sim-model");
        String second = Api.createSession(carol, "sim-model");
        Api.createSession(BOB, "sim-model");
        List<String> ids = as(carol).get("/v1/chat/sessions").then().statusCode(200).extract().path("data.id");
        assertEquals(List.of(second, first), ids);
    }

    @Test
    void getAnswersTheSessionWithItsMessagesOldestFirst() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "first question");
        Api.turn(ALICE, id, "second question");
        var s = Api.session(ALICE, id);
        assertEquals(List.of("user", "assistant", "user", "assistant"), s.getList("messages.role"));
        assertEquals("first question", s.getString("messages[0].content"));
        assertEquals("second question", s.getString("messages[2].content"));
        assertEquals(s.getString("messages[0].id"), s.getString("messages[1].parent_id"));
        assertEquals(s.getString("messages[1].id"), s.getString("messages[2].parent_id"));
        assertEquals("first question", s.getString("title"));
    }

    @Test
    void anotherUsersSessionAnswers404Everywhere() {
        String id = Api.createSession(ALICE, "sim-model");
        as(BOB).get("/v1/chat/sessions/" + id).then().statusCode(404).body("error.code", equalTo("not_found"));
        as(BOB).accept("text/event-stream").body("{\"content\":\"hi\"}").post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(404);
        as(BOB).get("/v1/chat/sessions").then().statusCode(200).body("data.id", not(hasItem(id)));
        as(ALICE).get("/v1/chat/sessions/" + id).then().statusCode(200);
    }

    @Test
    void unknownSessionIdAnswers404() {
        as(ALICE).get("/v1/chat/sessions/00000000-0000-0000-0000-000000000000").then().statusCode(404);
        as(ALICE).get("/v1/chat/sessions/not-a-uuid").then().statusCode(404);
    }

    @Test
    void apiCallWithoutTokenAnswers401JsonNotARedirect() {
        given().redirects().follow(false).get("/v1/chat/sessions")
                .then().statusCode(401).body("error.code", equalTo("unauthorized"));
        given().redirects().follow(false).header("X-Requested-With", "JavaScript").get("/v1/me")
                .then().statusCode(401).body("error.type", equalTo("authentication_error"));
    }

    @Test
    void invalidBearerTokenAnswers401Json() {
        given().redirects().follow(false).auth().oauth2("not-a-token").get("/v1/chat/sessions")
                .then().statusCode(401).body("error.code", equalTo("unauthorized"));
    }

    @Test
    void meAnswersTheUserAndRoles() {
        as(TestTokens.user("admin", "user", "admin")).get("/v1/me").then().statusCode(200)
                .body("user", equalTo("admin")).body("roles", equalTo(List.of("admin", "user")));
    }

    @Test
    void runningModelsAndConstraintsAreRelayedFromTheRegistry() {
        as(ALICE).get("/v1/models/running").then().statusCode(200)
                .body("models[0].name", equalTo("sim-model"))
                .body("models[0].deployment", equalTo("local-simulator"));
        as(ALICE).get("/v1/models/sim-model/constraints").then().statusCode(200)
                .body("served_model_name", equalTo("sim-model")).body("supports_streaming", equalTo(true));
        as(ALICE).get("/v1/models/nope/constraints").then().statusCode(404)
                .body("error.code", equalTo("model_not_found"));
    }

    @Test
    void healthIsUp() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem(startsWith("Database connections")));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(notNullValue()).header("WWW-Authenticate",
                nullValue());
    }
}
