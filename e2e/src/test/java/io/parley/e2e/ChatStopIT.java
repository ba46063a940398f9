package io.parley.e2e;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.platform.LocalPlatform;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;

/**
 * An explicit stop through the whole real stack (issue 5): chat-service cancels the proxy call, the proxy closes the
 * upstream request, and the simulator itself counts the client that went away; the partial answer is kept as
 * {@code stopped}, and the usage row says {@code cancelled}.
 */
@ExtendWith(PlatformExtension.class)
class ChatStopIT {

    static final String MODEL = ChatTurnIT.MODEL;

    static LocalPlatform platform;
    static String alice;
    static String admin;

    @BeforeAll
    static void logIn(LocalPlatform started) {
        platform = started;
        alice = Clients.token(platform, "alice");
        admin = Clients.token(platform, "admin");
        Clients.awaitRunning(platform, alice, MODEL);
    }

    @Test
    void stopKeepsThePartialAnswerAsStoppedAndTheSimulatorSeesTheCancel() throws Exception {
        double disconnectsBefore = simulatorDisconnects();
        // 4,000 tokens at the demo model's pace would take minutes: the stop comes long before the end
        String session = Clients.chat(platform, alice)
                .body(Map.of("model", MODEL, "params", Map.of("max_tokens", 4000)))
                .post("/v1/chat/sessions")
                .then().statusCode(201)
                .extract().path("id");

        HttpRequest request = HttpRequest.newBuilder(URI.create(platform.chatUrl() + "/v1/chat/sessions/" + session
                + "/turns"))
                .header("Authorization", "Bearer " + alice)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"Tell me a very long story.\"}"))
                .build();
        HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        String turnId = response.headers().firstValue("X-Turn-Id").orElseThrow();

        List<String> lines = new ArrayList<>();
        CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // a few deltas have arrived: the answer is under way
        await().atMost(Duration.ofSeconds(60)).until(() -> deltas(lines) >= 5);

        JsonPath stopped = Clients.chat(platform, alice)
                .post("/v1/chat/sessions/{id}/turns/{turn}/stop", session, turnId)
                .then().statusCode(200)
                .body("status", equalTo("stopped"))
                .extract().jsonPath();
        String partial = stopped.getString("content");
        assertFalse(partial.isBlank(), "the partial answer is kept");

        // the SSE stream ends with message_end status stopped, carrying the same partial text
        reading.get(60, java.util.concurrent.TimeUnit.SECONDS);
        List<SseEvent> events;
        synchronized (lines) {
            events = SseEvent.parse(lines);
        }
        SseEvent end = events.get(events.size() - 1);
        assertEquals("message_end", end.name(), events.toString());
        assertEquals("stopped", end.json().getString("status"));
        assertEquals(partial, end.json().getString("content"));
        String streamed = events.stream().filter(e -> e.name().equals("delta"))
                .map(e -> e.json().getString("content")).collect(Collectors.joining());
        assertTrue(partial.startsWith(streamed) || streamed.startsWith(partial),
                "stored partial text and streamed deltas agree");

        // the cancel reached the serving pod: the simulator counted a client that went away mid-stream
        await().atMost(Duration.ofSeconds(30)).until(() -> simulatorDisconnects() > disconnectsBefore);

        // stored as stopped, and after a reload (a fresh GET) it is still exactly one user and one assistant message
        Clients.chat(platform, alice).get("/v1/chat/sessions/{id}", session)
                .then().statusCode(200)
                .body("messages.size()", equalTo(2))
                .body("messages[1].status", equalTo("stopped"))
                .body("messages[1].content", equalTo(partial));

        // the proxy recorded the call as cancelled, with the tokens produced so far
        List<Map<String, Object>> rows = await().atMost(Duration.ofSeconds(60))
                .until(() -> Clients.usage(platform, admin).queryParam("correlation_id", session)
                        .get("/admin/usage").then().statusCode(200)
                        .extract().jsonPath().<Map<String, Object>> getList("data"), found -> !found.isEmpty());
        assertEquals(1, rows.size(), rows.toString());
        assertEquals("cancelled", rows.get(0).get("status"));
        assertTrue(((Number) rows.get(0).get("completion_tokens")).intValue() > 0, rows.toString());
    }

    private static long deltas(List<String> lines) {
        synchronized (lines) {
            return lines.stream().filter(line -> line.equals("event: delta") || line.equals("event:delta")).count();
        }
    }

    /** The simulator's own count of clients that closed a stream before its end, for the demo model. */
    private static double simulatorDisconnects() {
        String metrics = RestAssured.given().get(platform.simulatorUrl() + "/metrics").then().statusCode(200)
                .extract().asString();
        return metrics.lines()
                .filter(line -> line.startsWith("simulator_client_disconnects_total") && line.contains(MODEL))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
