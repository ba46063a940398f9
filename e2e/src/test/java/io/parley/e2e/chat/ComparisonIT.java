package io.parley.e2e.chat;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.Clients;
import io.parley.e2e.FaultFixtures;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.path.json.JsonPath;

/**
 * Compare models side by side through the real stack (issue 16): one prompt to two simulator models, each column a
 * server turn streamed from chat-service with the proxy's server metrics; the long one is stopped, the other is
 * continued into a normal chat that goes on; the comparison stays in history. A model the registry knows but does not
 * run is refused with its reason.
 */
@ExtendWith(PlatformExtension.class)
class ComparisonIT {

    static final String FAST = "echo-sim";
    static final String LONG = FaultFixtures.LONG_MODEL;

    static LocalPlatform platform;
    static String alice;

    @BeforeAll
    static void logIn(LocalPlatform started) {
        platform = started;
        alice = Clients.token(platform, "alice");
        Clients.awaitRunning(platform, alice, FAST);
        Clients.awaitRunning(platform, alice, LONG);
    }

    record Event(String name, JsonPath json) {
    }

    /** Follows a turn's events (from the start) until the server ends the stream. */
    static List<Event> follow(String session, String turn) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(platform.chatUrl() + "/v1/chat/sessions/" + session
                + "/turns/" + turn + "/events")).timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + alice).header("Accept", "text/event-stream").GET().build();
        HttpResponse<java.util.stream.Stream<String>> response = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        List<Event> out = new ArrayList<>();
        String name = null;
        for (String line : (Iterable<String>) response.body()::iterator) {
            if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                out.add(new Event(name, JsonPath.from(line.substring(5).trim())));
            }
        }
        return out;
    }

    @Test
    void twoModelsAnswerOnePromptOneIsStoppedTheOtherContinuedAsAChat() throws Exception {
        JsonPath c = Clients.chat(platform, alice)
                .body(Map.of("content", "Compare us on this prompt", "models", List.of(FAST, LONG)))
                .post("/v1/chat/comparisons").then().statusCode(201).extract().jsonPath();
        String id = c.getString("id");
        String fastSession = c.getString("columns[0].session_id");
        String longSession = c.getString("columns[1].session_id");
        String longTurn = c.getString("columns[1].turn_id");

        List<Event> fast = follow(fastSession, c.getString("columns[0].turn_id"));
        JsonPath end = fast.get(fast.size() - 1).json();
        assertEquals("message_end", fast.get(fast.size() - 1).name());
        assertEquals("complete", end.getString("status"));
        assertEquals("Compare us on this prompt", end.getString("content"), "echo-sim echoes the prompt");
        assertNotNull(end.get("usage.time_to_first_token"), "the proxy's server metrics reach the column");
        assertTrue(end.getDouble("metrics.ttft_ms") > 0);
        assertTrue(end.getInt("metrics.completion_tokens") > 0);

        // the long column is still generating (2,000 tokens 20 ms apart): stop every column still running
        JsonPath stopped = Clients.chat(platform, alice).post("/v1/chat/comparisons/{id}/stop", id).then()
                .statusCode(200).extract().jsonPath();
        assertEquals(List.of("already_ended", "stopped"), stopped.getList("columns.stop_result"));
        List<Event> longEvents = follow(longSession, longTurn);
        JsonPath longEnd = longEvents.get(longEvents.size() - 1).json();
        assertEquals("stopped", longEnd.getString("status"));
        assertFalse(longEnd.getString("content").isEmpty(), "the partial answer is kept");

        // continue with the fast one: a normal chat with the prompt and its answer, which goes on
        JsonPath chat = Clients.chat(platform, alice).body(Map.of("session_id", fastSession))
                .post("/v1/chat/comparisons/{id}/continue", id).then().statusCode(201)
                .body("model_name", equalTo(FAST)).extract().jsonPath();
        String chatId = chat.getString("id");
        assertEquals(List.of("Compare us on this prompt", "Compare us on this prompt"),
                chat.getList("messages.content"));
        Clients.chat(platform, alice).accept("text/event-stream").body(Map.of("content", "and once more"))
                .post("/v1/chat/sessions/{id}/turns", chatId).then().statusCode(200)
                .body(containsString("message_end"));
        Clients.chat(platform, alice).get("/v1/chat/sessions/{id}", chatId).then().statusCode(200)
                .body("messages.size()", equalTo(4)).body("messages[3].content", equalTo("and once more"));

        // kept in history, reopenable with both columns as they ended
        Clients.chat(platform, alice).get("/v1/chat/comparisons").then().statusCode(200)
                .body("data.find { it.id == '" + id + "' }.models", equalTo(List.of(FAST, LONG)));
        Clients.chat(platform, alice).get("/v1/chat/comparisons/{id}", id).then().statusCode(200)
                .body("columns.status", equalTo(List.of("complete", "stopped")));
    }

    @Test
    void aModelThatIsNotRunningIsRefusedWithTheRegistrysReason() {
        Clients.chat(platform, alice)
                .body(Map.of("content", "x", "models", List.of(FAST, FaultFixtures.DOWN_MODEL)))
                .post("/v1/chat/comparisons").then().statusCode(409)
                .body("error.code", equalTo("model_not_running")).body("error.param", equalTo("models[1]"))
                .body("error.message", containsString(FaultFixtures.DOWN_MODEL));
    }
}
