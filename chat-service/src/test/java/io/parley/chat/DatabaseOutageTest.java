package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * PostgreSQL stopped and started again under chat-service (issues 14 point 4 and 19 point 4): every session and turn
 * route answers 503 with a retryable OpenAI-shaped error while it is away (never 500), the restart costs no request
 * (stale pooled connections are validated), and a turn that ends while it is away is told "saving" and gets its
 * {@code message_end} only once stored, with exactly the text it was shown.
 */
@QuarkusTest
@QuarkusTestResource(value = RestartablePostgres.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(io.parley.testsupport.PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class DatabaseOutageTest {

    @Test
    void whileTheDatabaseIsAwaySessionAndTurnRoutesAnswer503RetryableAndTheRestartCostsNoRequest() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "hello");
        String answer = Api.session(ALICE, id).getString("messages[1].id");
        RestartablePostgres.down();
        try {
            unavailable(as(ALICE).get("/v1/chat/sessions"));
            unavailable(as(ALICE).body("{\"model\":\"sim-model\"}").post("/v1/chat/sessions"));
            unavailable(as(ALICE).get("/v1/chat/sessions/" + id));
            unavailable(as(ALICE).body("{\"title\":\"renamed\"}").patch("/v1/chat/sessions/" + id));
            unavailable(as(ALICE).accept("text/event-stream").body("{\"content\":\"again\"}")
                    .post("/v1/chat/sessions/" + id + "/turns"));
            unavailable(as(ALICE).accept("text/event-stream")
                    .get("/v1/chat/sessions/" + id + "/turns/" + answer + "/events"));
            unavailable(as(ALICE).post("/v1/chat/sessions/" + id + "/turns/" + answer + "/stop"));
            unavailable(as(ALICE).accept("text/event-stream")
                    .post("/v1/chat/sessions/" + id + "/messages/" + answer + "/regenerate"));
        } finally {
            RestartablePostgres.up();
        }
        // every pooled connection died with the server: none of them may cost a request
        for (int i = 0; i < 30; i++) {
            as(ALICE).get("/v1/chat/sessions/" + id).then().statusCode(200);
        }
        Api.turn(ALICE, id, "after the restart");
    }

    private static void unavailable(io.restassured.response.Response r) {
        r.then().statusCode(503).header("Retry-After", notNullValue())
                .body("error.code", equalTo("database_unavailable")).body("error.type", equalTo("server_error"));
    }

    @Test
    void anAnswerEndingWhileTheDatabaseIsAwayIsShownSavingAndStoredAsShownOnRecovery() throws Exception {
        String id = Api.createSession(ALICE, "slow-model");
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"long answer\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().contains("delta"));
            RestartablePostgres.down();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> live.names().contains("saving"));
                assertFalse(live.names().contains("message_end"), "message_end before the end is stored");
                assertEquals("complete", live.events().get(live.names().indexOf("saving")).json().getString("status"));
            } finally {
                RestartablePostgres.up();
            }
            await().atMost(Duration.ofSeconds(30)).until(live::finished);
            String shown = live.events().stream().filter(e -> "delta".equals(e.name()))
                    .map(e -> e.json().getString("content")).collect(Collectors.joining());
            SseEvents.Event end = live.events().get(live.events().size() - 1);
            assertEquals("message_end", end.name());
            assertEquals(shown, end.json().getString("content"));
            assertEquals(TurnLifecycleTest.SLOW_ANSWER, shown);
            JsonPath s = Api.session(ALICE, id);
            assertEquals("complete", s.getString("messages[1].status"));
            assertEquals(shown, s.getString("messages[1].content"));
        }
    }
}
