package io.parley.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.restassured.path.json.JsonPath;

/** One server-sent event as it came over the wire: its {@code event:} name and {@code data:} (JSON here). */
record SseEvent(String name, String data) {

    JsonPath json() {
        return JsonPath.from(data);
    }

    /** A streamed answer: its status, its events in order, and its raw body (for failure messages). */
    record Response(int status, List<SseEvent> events, String body) {

        List<String> names() {
            return events.stream().map(SseEvent::name).toList();
        }

        List<SseEvent> named(String name) {
            return events.stream().filter(e -> e.name().equals(name)).toList();
        }
    }

    /** POSTs {@code body} and reads the answer as server-sent events until the server ends the stream. */
    static Response post(String url, String token, String body) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
            List<String> lines = response.body().toList();
            return new Response(response.statusCode(), parse(lines), String.join("\n", lines));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static List<SseEvent> parse(List<String> lines) {
        List<SseEvent> events = new ArrayList<>();
        String name = null;
        StringBuilder data = new StringBuilder();
        for (String line : lines) {
            if (line.isEmpty()) {
                if (name != null || data.length() > 0) {
                    events.add(new SseEvent(name == null ? "message" : name, data.toString()));
                }
                name = null;
                data.setLength(0);
            } else if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                if (data.length() > 0) {
                    data.append('\n');
                }
                data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
            }
        }
        if (name != null || data.length() > 0) {
            events.add(new SseEvent(name == null ? "message" : name, data.toString()));
        }
        return events;
    }
}
