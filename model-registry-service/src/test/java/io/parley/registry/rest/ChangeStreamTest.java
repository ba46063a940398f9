package io.parley.registry.rest;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.registry.support.FakeUpstreamResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(FakeUpstreamResource.class)
class ChangeStreamTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/v1/models/changes")
    URI changes;

    final List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<HttpResponse<Stream<String>>> stream;

    @AfterEach
    void close() {
        UPSTREAM.reset();
        if (stream != null) {
            stream.thenAccept(r -> r.body().close());
            stream.cancel(true);
        }
    }

    void follow(String token) {
        HttpRequest request = HttpRequest.newBuilder(changes)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .build();
        stream = HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        stream.thenAcceptAsync(response -> response.body().forEach(lines::add));
    }

    /** The data of every {@code models} event received so far, in order. */
    List<JsonNode> modelEvents() {
        List<JsonNode> events = new java.util.ArrayList<>();
        String name = null;
        for (String line : List.copyOf(lines)) {
            if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:") && "models".equals(name)) {
                try {
                    events.add(JSON.readTree(line.substring(5).trim()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            } else if (line.isEmpty()) {
                name = null;
            }
        }
        return events;
    }

    static String stateOf(JsonNode event, String model) {
        for (JsonNode m : event.get("models")) {
            if (model.equals(m.get("name").asText())) {
                return m.get("state").asText();
            }
        }
        return "absent";
    }

    @Test
    void subscriberGetsTheCurrentListAtOnceAndEveryChangeAfter() {
        await().atMost(Duration.ofSeconds(15)).until(() -> UPSTREAM.healthRequests() > 0);
        follow(TestTokens.user("alice", "user"));
        await().atMost(Duration.ofSeconds(15)).until(() -> modelEvents().stream()
                .anyMatch(e -> "Ready".equals(stateOf(e, "llama-3.1-8b-sim"))));
        JsonNode first = modelEvents().get(0);
        assertTrue(first.get("revision").asLong() > 0);
        assertTrue(first.get("models").size() >= 3, first.toString());

        UPSTREAM.setHealthy(false);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            List<JsonNode> events = modelEvents();
            return "Unhealthy".equals(stateOf(events.get(events.size() - 1), "llama-3.1-8b-sim"));
        });
        List<JsonNode> events = modelEvents();
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).get("revision").asLong() > events.get(i - 1).get("revision").asLong(),
                    "revisions grow");
        }
        UPSTREAM.setHealthy(true);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            List<JsonNode> all = modelEvents();
            return "Ready".equals(stateOf(all.get(all.size() - 1), "llama-3.1-8b-sim"));
        });
    }

    @Test
    void changeStreamNeedsAToken() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(changes).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, response.statusCode());
    }
}
