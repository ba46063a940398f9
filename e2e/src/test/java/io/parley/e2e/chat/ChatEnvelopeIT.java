package io.parley.e2e.chat;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.parley.e2e.Clients;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.path.json.JsonPath;

/**
 * The playground's turn envelope through the real stack (issue 6, docs/architecture.md "Turn envelope and
 * attachments"): in each endpoint mode a turn with a correlation id, metadata, an image attachment and the override
 * {@code {"max_tokens": 5}} streams its answer from the simulator through the proxy's {@code /v1/chat/completions},
 * {@code /v1/responses} or {@code /v1/messages}; the usage row carries the correlation id, the metadata with
 * {@code source=playground}, the attachment audit (type, size, SHA-256) and the endpoint kind, and the completion
 * kept to the override's 5 tokens.
 */
@ExtendWith(PlatformExtension.class)
class ChatEnvelopeIT {

    static final String MODEL = "llama-3.1-8b-sim";
    /** A 1×1 PNG. */
    static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

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

    record Event(String name, JsonPath json) {
    }

    @ParameterizedTest
    @ValueSource(strings = { "chat_completions", "responses", "messages" })
    void aTurnWithTheFullEnvelopeStreamsAndItsUsageRowCarriesTheEnvelope(String mode) throws Exception {
        // max_tokens 200 on the session: only the override keeps the answer to 5 tokens
        String session = Clients.chat(platform, alice)
                .body(Map.of("model", MODEL, "params", Map.of("max_tokens", 200)))
                .post("/v1/chat/sessions")
                .then().statusCode(201).extract().path("id");
        String correlationId = "e2e-" + mode + "-" + UUID.randomUUID().toString().substring(0, 8);
        String body = "{\"content\":\"Describe this picture at length.\",\"endpoint_mode\":\"" + mode + "\","
                + "\"correlation_id\":\"" + correlationId + "\","
                + "\"metadata\":{\"team\":\"search\",\"run\":\"envelope-it\"},"
                + "\"overrides\":{\"max_tokens\":5},"
                + "\"attachments\":[{\"name\":\"pixel.png\",\"mime_type\":\"image/png\",\"size_bytes\":" + PNG.length
                + ",\"data_url\":\"data:image/png;base64," + Base64.getEncoder().encodeToString(PNG) + "\"}]}";

        HttpRequest request = HttpRequest.newBuilder(URI.create(platform.chatUrl() + "/v1/chat/sessions/" + session
                + "/turns"))
                .timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + alice)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<java.util.stream.Stream<String>> response = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofLines());
        List<String> lines = response.body().toList();
        String raw = String.join("\n", lines);
        assertEquals(200, response.statusCode(), raw);
        List<Event> events = parse(lines);
        List<String> names = events.stream().map(Event::name).toList();
        assertEquals("message_start", names.get(0), raw);
        assertEquals("message_end", names.get(names.size() - 1), raw);
        List<Event> deltas = events.stream().filter(e -> e.name().equals("delta")).toList();
        assertTrue(!deltas.isEmpty(), "the answer streams: " + raw);
        JsonPath end = events.get(events.size() - 1).json();
        assertEquals("complete", end.getString("status"), raw);
        assertEquals(deltas.stream().map(d -> d.json().getString("content")).collect(Collectors.joining()),
                end.getString("content"));
        int completionTokens = end.getInt("metrics.completion_tokens");
        assertTrue(completionTokens > 0 && completionTokens <= 5, "the override max_tokens=5 holds: " + raw);
        assertNotNull(end.get("usage.time_to_first_token"), "the proxy's server metrics reach the turn: " + raw);

        // the stored user message carries its envelope and the attachment's metadata; the bytes come back to alice
        JsonPath stored = Clients.chat(platform, alice).get("/v1/chat/sessions/{id}", session)
                .then().statusCode(200).extract().jsonPath();
        assertEquals(correlationId, stored.getString("messages[0].envelope.correlation_id"));
        assertEquals(mode, stored.getString("messages[0].envelope.endpoint_mode"));
        assertEquals(sha256(PNG), stored.getString("messages[0].attachments[0].sha256"));
        String attachmentId = stored.getString("messages[0].attachments[0].id");
        assertArrayEquals(PNG, Clients.chat(platform, alice)
                .get("/v1/chat/sessions/{id}/attachments/{a}", session, attachmentId)
                .then().statusCode(200).extract().asByteArray());
        Clients.chat(platform, Clients.token(platform, "bob"))
                .get("/v1/chat/sessions/{id}/attachments/{a}", session, attachmentId)
                .then().statusCode(404);

        // exactly one usage row, found by the turn's correlation id, with the envelope and the attachment audit
        JsonPath page = await().atMost(Duration.ofSeconds(60))
                .until(() -> Clients.usage(platform, admin)
                        .queryParam("correlation_id", correlationId)
                        .get("/admin/usage")
                        .then().statusCode(200)
                        .extract().jsonPath(), found -> !found.getList("data").isEmpty());
        String rows = page.prettify();
        assertEquals(1, page.getList("data").size(), rows);
        JsonPath row = JsonPath.from(page.prettify()).setRootPath("data[0]");
        assertEquals("alice", row.getString("user_id"), rows);
        assertEquals(MODEL, row.getString("model"));
        assertEquals("ok", row.getString("status"));
        assertEquals(mode, row.getString("endpoint_kind"));
        assertEquals("playground", row.getString("source"));
        assertEquals("search", row.getString("metadata.team"));
        assertEquals("envelope-it", row.getString("metadata.run"));
        assertEquals("playground", row.getString("metadata.source"));
        assertEquals(List.of("image/png"), row.getList("attachments.mime_type"));
        assertEquals(List.of(PNG.length), row.getList("attachments.size_bytes"));
        assertEquals(List.of(sha256(PNG)), row.getList("attachments.sha256"));
        int rowTokens = row.getInt("completion_tokens");
        assertTrue(rowTokens > 0 && rowTokens <= 5, "usage completion_tokens within the override: " + rows);
    }

    private static List<Event> parse(List<String> lines) {
        List<Event> events = new ArrayList<>();
        String name = null;
        StringBuilder data = null;
        List<String> all = new ArrayList<>(lines);
        all.add("");
        for (String line : all) {
            if (line.isEmpty()) {
                if (data != null) {
                    events.add(new Event(name, JsonPath.from(data.toString())));
                }
                name = null;
                data = null;
            } else if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                String v = line.substring(line.startsWith("data: ") ? 6 : 5);
                data = data == null ? new StringBuilder(v) : data.append('\n').append(v);
            }
        }
        return events;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
