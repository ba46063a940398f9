package io.parley.registry.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Follows the registry's change stream in the background and keeps every {@code models} event with its arrival time. */
public final class SseFollower implements AutoCloseable {

    /** A received event: its JSON data and when it arrived ({@link System#nanoTime()}). */
    public record Received(JsonNode data, long nanos) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Received> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<HttpResponse<Stream<String>>> response;

    public SseFollower(URI uri, String token) {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .build();
        response = HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        response.thenAcceptAsync(r -> {
            String[] name = { null };
            r.body().forEach(line -> {
                if (line.startsWith("event:")) {
                    name[0] = line.substring(6).trim();
                } else if (line.startsWith("data:") && "models".equals(name[0])) {
                    try {
                        events.add(new Received(JSON.readTree(line.substring(5).trim()), System.nanoTime()));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                } else if (line.isEmpty()) {
                    name[0] = null;
                }
            });
        });
    }

    public List<Received> events() {
        return new ArrayList<>(events);
    }

    public List<JsonNode> data() {
        return events().stream().map(Received::data).toList();
    }

    /** The state of a model in an event's list, or {@code absent}. */
    public static String stateOf(JsonNode event, String model) {
        for (JsonNode m : event.get("models")) {
            if (model.equals(m.get("name").asText())) {
                return m.get("state").asText();
            }
        }
        return "absent";
    }

    @Override
    public void close() {
        response.thenAccept(r -> r.body().close());
        response.cancel(true);
    }
}
