package io.parley.registry.rest;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.parley.registry.support.SseFollower.stateOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.registry.support.FakeUpstreamResource;
import io.parley.registry.support.SseFollower;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(FakeUpstreamResource.class)
class ChangeStreamTest {

    @TestHTTPResource("/v1/models/changes")
    URI changes;

    @AfterEach
    void restore() {
        UPSTREAM.reset();
    }

    static String lastState(SseFollower follower, String model) {
        List<JsonNode> events = follower.data();
        return events.isEmpty() ? "none" : stateOf(events.get(events.size() - 1), model);
    }

    @Test
    void subscriberGetsTheCurrentListAtOnceAndEveryChangeAfter() {
        await().atMost(Duration.ofSeconds(15)).until(() -> UPSTREAM.healthRequests() > 0);
        try (var follower = new SseFollower(changes, TestTokens.user("alice", "user"))) {
            await().atMost(Duration.ofSeconds(15)).until(() -> follower.data().stream()
                    .anyMatch(e -> "Ready".equals(stateOf(e, "llama-3.1-8b-sim"))));
            JsonNode first = follower.data().get(0);
            assertTrue(first.get("revision").asLong() > 0);
            assertTrue(first.get("models").size() >= 3, first.toString());

            UPSTREAM.setHealthy(false);
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> "Unhealthy".equals(lastState(follower, "llama-3.1-8b-sim")));
            List<JsonNode> events = follower.data();
            for (int i = 1; i < events.size(); i++) {
                assertTrue(events.get(i).get("revision").asLong() > events.get(i - 1).get("revision").asLong(),
                        "revisions grow");
            }
            UPSTREAM.setHealthy(true);
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> "Ready".equals(lastState(follower, "llama-3.1-8b-sim")));
        }
    }

    @Test
    void changeStreamNeedsAToken() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(changes).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, response.statusCode());
    }
}
