package io.parley.chat;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * {@code GET /ui/models/changes} relays the registry's change stream event for event: {@code snapshot}, {@code delta}
 * and an older registry's {@code models}, with their ids and data unchanged (keep-alive comments are not relayed).
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class UiModelsChangesTest {

    @TestHTTPResource("/ui/models/changes")
    URI changes;

    @Test
    void snapshotDeltaAndLegacyEventsArePassedThroughWithTheirIdsAndData() throws Exception {
        HttpResponse<Stream<String>> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(changes)
                        .header("Authorization", "Bearer " + Api.ALICE).header("Accept", "text/event-stream")
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        StringBuilder body = new StringBuilder();
        try (Stream<String> lines = response.body()) {
            // up to the end of the third event; the stream itself stays open
            var it = lines.iterator();
            while (SseEvents.parse(body.toString()).size() < 3 && it.hasNext()) {
                String line = it.next();
                body.append(line).append('\n');
            }
        }
        List<SseEvents.Event> events = SseEvents.parse(body.toString());
        assertEquals(List.of(new SseEvents.Event("7", "snapshot", FakeUpstreams.CHANGES_SNAPSHOT),
                new SseEvents.Event("8", "delta", FakeUpstreams.CHANGES_DELTA),
                new SseEvents.Event("9", "models", FakeUpstreams.CHANGES_LEGACY)), events);
    }

    @Test
    void theChangeStreamNeedsALogin() {
        given().accept("text/event-stream").redirects().follow(false).get("/ui/models/changes")
                .then().statusCode(org.hamcrest.Matchers.oneOf(302, 401));
    }
}
