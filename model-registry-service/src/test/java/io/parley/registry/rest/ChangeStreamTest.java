package io.parley.registry.rest;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.parley.registry.support.SseFollower.stateOf;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    static List<String> names(JsonNode entries) {
        List<String> out = new java.util.ArrayList<>();
        entries.forEach(e -> out.add(e.get("name").asText()));
        return out;
    }

    @Test
    void subscriberGetsASnapshotThenOnlyTheEntriesThatChanged() {
        await().atMost(Duration.ofSeconds(15)).until(() -> UPSTREAM.healthRequests() > 0);
        try (var follower = new SseFollower(changes, TestTokens.user("alice", "user"))) {
            await().atMost(Duration.ofSeconds(15)).until(() -> "Ready".equals(follower.state("llama-3.1-8b-sim")));
            SseFollower.Received first = follower.events().get(0);
            assertEquals("snapshot", first.name(), "the first event is the whole view");
            assertTrue(first.data().get("revision").asLong() > 0);
            assertFalse(first.data().get("stale").asBoolean());
            assertTrue(first.data().get("models").size() >= 3, first.data().toString());
            assertEquals(1, follower.events("snapshot").size(), "one snapshot per connection");

            int before = follower.events().size();
            UPSTREAM.setHealthy(false);
            await().atMost(Duration.ofSeconds(15)).until(() -> "Unhealthy".equals(follower.state("llama-3.1-8b-sim")));
            List<SseFollower.Received> after = follower.events().subList(before, follower.events().size());
            assertTrue(after.stream().allMatch(e -> e.name().equals("delta")), "changes come as deltas");
            JsonNode turned = after.stream().map(SseFollower.Received::data)
                    .filter(d -> "Unhealthy".equals(stateOf(d, "llama-3.1-8b-sim"))).findFirst().orElseThrow();
            // only the models of the endpoint that went down, never the unchanged ones (nobody-home stays as it was)
            assertTrue(names(turned.get("upserted")).stream().noneMatch(n -> n.startsWith("ghost-")),
                    turned.toString());
            assertTrue(turned.get("upserted").size() < first.data().get("models").size(), turned.toString());
            assertEquals(0, turned.get("removed").size());
            assertTrue(turned.get("upserted").get(0).has("id") && turned.get("upserted").get(0).has("endpoints"),
                    "upserted entries are whole entries");

            UPSTREAM.setHealthy(true);
            await().atMost(Duration.ofSeconds(15)).until(() -> "Ready".equals(follower.state("llama-3.1-8b-sim")));
            // every delta follows on from the revision before it, so a follower applying them never sees a gap
            List<JsonNode> events = follower.data();
            for (int i = 1; i < events.size(); i++) {
                assertEquals(events.get(i - 1).get("revision").asLong(), events.get(i).get("base_revision").asLong());
                assertEquals(events.get(i).get("revision").asLong(), events.get(i).get("base_revision").asLong() + 1);
            }
            assertEquals(0, follower.gaps());
            // and the follower's copy is the registry's list
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                List<String> listed = given().auth().oauth2(TestTokens.user("alice", "user")).get("/v1/models")
                        .then().statusCode(200).extract().jsonPath()
                        .getList("models.collect { it.id + '=' + it.state }", String.class);
                assertEquals(listed.stream().sorted().toList(), follower.view().values().stream()
                        .map(m -> m.get("id").asText() + "=" + m.get("state").asText()).sorted().toList());
            });
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
