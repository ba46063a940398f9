package io.parley.chat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.restassured.RestAssured;

/**
 * An SSE connection read as it arrives (unlike RestAssured, which waits for the end): events are collected in the
 * background; {@link #close()} drops the connection like a closed browser tab.
 */
final class LiveTurn implements AutoCloseable {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final HttpResponse<InputStream> response;
    private final List<SseEvents.Event> events = new CopyOnWriteArrayList<>();
    private volatile boolean finished;

    private LiveTurn(HttpResponse<InputStream> response) {
        this.response = response;
        Thread reader = new Thread(this::read, "live-turn-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static LiveTurn post(String token, String sessionId, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base() + "/v1/chat/sessions/" + sessionId + "/turns"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Accept", "text/event-stream").POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return new LiveTurn(CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream()));
    }

    static LiveTurn get(String token, String path, String lastEventId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return new LiveTurn(CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    private static String base() {
        return "http://localhost:" + RestAssured.port;
    }

    int status() {
        return response.statusCode();
    }

    String turnId() {
        return response.headers().firstValue("X-Turn-Id").orElseThrow();
    }

    List<SseEvents.Event> events() {
        return events;
    }

    List<String> names() {
        return SseEvents.names(events);
    }

    boolean finished() {
        return finished;
    }

    private void read() {
        StringBuilder block = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    events.addAll(SseEvents.parse(block.toString()));
                    block.setLength(0);
                } else {
                    block.append(line).append('\n');
                }
            }
            events.addAll(SseEvents.parse(block.toString()));
        } catch (Exception e) {
            // connection closed by close(): expected
        } finally {
            finished = true;
        }
    }

    @Override
    public void close() throws Exception {
        response.body().close();
    }
}
