package io.parley.e2e;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.platform.LocalPlatform;
import io.restassured.path.json.JsonPath;

/**
 * The first end-to-end chat turn (issue 2): real Keycloak tokens, chat-service → proxy → simulator, persisted in
 * PostgreSQL, usage delivered through the proxy's outbox to usage-service.
 */
@ExtendWith(PlatformExtension.class)
class ChatTurnIT {

    static final String MODEL = "llama-3.1-8b-sim";

    static LocalPlatform platform;
    static String alice;
    static String bob;
    static String admin;

    @BeforeAll
    static void logIn(LocalPlatform started) {
        platform = started;
        alice = Clients.token(platform, "alice");
        bob = Clients.token(platform, "bob");
        admin = Clients.token(platform, "admin");
        Clients.awaitRunning(platform, alice, MODEL);
    }

    @Test
    void alicesStreamedTurnArrivesAsSeveralDeltasAndIsPersistedWithMetrics() {
        String session = createSession(alice);

        SseEvent.Response turn = streamTurn(alice, session, "Tell me about llamas.");

        assertEquals(200, turn.status(), turn.body());
        List<String> names = turn.names();
        assertEquals("message_start", names.get(0), turn.body());
        assertEquals("message_end", names.get(names.size() - 1), turn.body());
        List<SseEvent> deltas = turn.named("delta");
        assertTrue(deltas.size() >= 3, "expected several delta events, got " + names);
        String streamed = deltas.stream().map(d -> d.json().getString("content")).collect(Collectors.joining());
        JsonPath end = turn.named("message_end").get(0).json();
        assertEquals("complete", end.getString("status"));
        assertEquals(streamed, end.getString("content"));

        JsonPath stored = Clients.chat(platform, alice).get("/v1/chat/sessions/{id}", session)
                .then().statusCode(200)
                .body("messages", hasSize(2))
                .body("messages[0].role", equalTo("user"))
                .body("messages[0].content", equalTo("Tell me about llamas."))
                .body("messages[1].role", equalTo("assistant"))
                .body("messages[1].status", equalTo("complete"))
                .body("messages[1].content", equalTo(streamed))
                .extract().jsonPath();
        Map<String, Object> metrics = stored.getMap("messages[1].metrics");
        assertPositive(metrics, "ttft_ms");
        assertPositive(metrics, "latency_ms");
        assertPositive(metrics, "tokens_per_sec");
        assertPositive(metrics, "prompt_tokens");
        assertPositive(metrics, "completion_tokens");
    }

    @Test
    void bobGetsNotFoundForAlicesSessionAndCannotPostToIt() {
        String session = createSession(alice);

        Clients.chat(platform, bob).get("/v1/chat/sessions/{id}", session)
                .then().statusCode(404)
                .body("error.message", notNullValue());
        SseEvent.Response turn = streamTurn(bob, session, "Whose session is this?");
        assertEquals(404, turn.status(), turn.body());
        Clients.chat(platform, bob).get("/v1/chat/sessions")
                .then().statusCode(200)
                .body("data.findAll { it.id == '" + session + "' }", hasSize(0));

        Clients.chat(platform, alice).get("/v1/chat/sessions/{id}", session)
                .then().statusCode(200)
                .body("messages", hasSize(0));
    }

    @Test
    void theTurnIsRecordedAsExactlyOneUsageRowWithTokensAndTtft() {
        String session = createSession(alice);
        SseEvent.Response turn = streamTurn(alice, session, "Count to five.");
        assertEquals("message_end", turn.names().get(turn.names().size() - 1), turn.body());

        // the proxy's outbox delivers usage asynchronously; the chat-service sends the session id as correlation id
        List<Map<String, Object>> rows = await().atMost(Duration.ofSeconds(60))
                .until(() -> usageRows(session), found -> !found.isEmpty());

        assertEquals(1, rows.size(), "usage rows for the turn: " + rows);
        Map<String, Object> row = rows.get(0);
        assertEquals("alice", row.get("user_id"));
        assertEquals(MODEL, row.get("model"));
        assertEquals("ok", row.get("status"));
        assertEquals(session, row.get("correlation_id"));
        assertPositive(row, "prompt_tokens");
        assertPositive(row, "completion_tokens");
        assertPositive(row, "ttft_ms");
    }

    @Test
    void usageIsForAdminsOnly() {
        Clients.usage(platform, alice).get("/admin/usage")
                .then().statusCode(403);
        Clients.usage(platform, admin).get("/admin/usage")
                .then().statusCode(200)
                .body("data", notNullValue());
    }

    private static String createSession(String token) {
        return Clients.chat(platform, token)
                .body(Map.of("model", MODEL))
                .post("/v1/chat/sessions")
                .then().statusCode(201)
                .body("model_name", equalTo(MODEL))
                .extract().path("id");
    }

    private static SseEvent.Response streamTurn(String token, String session, String content) {
        String body = "{\"content\":" + JsonText.quote(content) + "}";
        return SseEvent.post(platform.chatUrl() + "/v1/chat/sessions/" + session + "/turns", token, body);
    }

    private static List<Map<String, Object>> usageRows(String correlationId) {
        return Clients.usage(platform, admin)
                .queryParam("user", "alice")
                .queryParam("correlation_id", correlationId)
                .get("/admin/usage")
                .then().statusCode(200)
                .extract().jsonPath().getList("data");
    }

    private static void assertPositive(Map<String, Object> values, String key) {
        Object value = values.get(key);
        assertTrue(value instanceof Number number && number.doubleValue() > 0,
                key + " should be a positive number in " + values);
    }
}
