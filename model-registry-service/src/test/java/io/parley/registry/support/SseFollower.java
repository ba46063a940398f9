package io.parley.registry.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Follows the registry's change stream in the background as a follower should: keeps every {@code snapshot} and
 * {@code delta} event with its arrival time and size, and applies them to its own copy of the view (by entry id).
 * A delta whose {@code base_revision} is not the revision it holds is counted as a gap and not applied.
 */
public final class SseFollower implements AutoCloseable {

    /** A received event: its name, JSON data, when it arrived ({@link System#nanoTime()}) and its bytes on the wire. */
    public record Received(String name, JsonNode data, long nanos, int bytes) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Received> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<HttpResponse<Stream<String>>> response;
    private final Map<String, JsonNode> view = new LinkedHashMap<>();
    private long revision = -1;
    private boolean stale;
    private int gaps;

    public SseFollower(URI uri, String token) {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .build();
        response = HttpClient.newHttpClient().sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        response.thenAcceptAsync(r -> {
            String[] name = { null };
            StringBuilder data = new StringBuilder();
            int[] bytes = { 0 };
            r.body().forEach(line -> {
                bytes[0] += line.getBytes(StandardCharsets.UTF_8).length + 1;
                if (line.startsWith("event:")) {
                    name[0] = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                } else if (line.isEmpty()) {
                    if (name[0] != null && data.length() > 0) {
                        try {
                            received(new Received(name[0], JSON.readTree(data.toString()), System.nanoTime(), bytes[0]));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    name[0] = null;
                    data.setLength(0);
                    bytes[0] = 0;
                }
            });
        });
    }

    private synchronized void received(Received event) {
        JsonNode d = event.data();
        switch (event.name()) {
            case "snapshot", "models" -> {
                view.clear();
                d.get("models").forEach(m -> view.put(m.get("id").asText(), m));
                revision = d.get("revision").asLong();
                stale = d.path("stale").asBoolean();
            }
            case "delta" -> {
                if (d.get("base_revision").asLong() != revision) {
                    gaps++;
                } else {
                    d.get("removed").forEach(id -> view.remove(id.asText()));
                    d.get("upserted").forEach(m -> view.put(m.get("id").asText(), m));
                    revision = d.get("revision").asLong();
                    stale = d.path("stale").asBoolean();
                }
            }
            default -> {
                return;
            }
        }
        events.add(event);
    }

    public List<Received> events() {
        return new ArrayList<>(events);
    }

    public List<JsonNode> data() {
        return events().stream().map(Received::data).toList();
    }

    /** The events of one name ({@code snapshot} or {@code delta}). */
    public List<Received> events(String name) {
        return events().stream().filter(e -> e.name().equals(name)).toList();
    }

    /** The follower's copy of the view: entries by id, as applied from the events so far. */
    public synchronized Map<String, JsonNode> view() {
        return new LinkedHashMap<>(view);
    }

    public synchronized long revision() {
        return revision;
    }

    public synchronized boolean stale() {
        return stale;
    }

    /** Deltas that did not follow on from the revision held. */
    public synchronized int gaps() {
        return gaps;
    }

    /** The state of a model (by name) in the follower's copy of the view, or {@code absent}. */
    public synchronized String state(String model) {
        return entry(model).map(m -> m.get("state").asText()).orElse("absent");
    }

    public synchronized Optional<JsonNode> entry(String model) {
        return view.values().stream().filter(m -> model.equals(m.get("name").asText())).findFirst();
    }

    /** The state of a model (by name) in one event's entries ({@code models} or {@code upserted}), or {@code absent}. */
    public static String stateOf(JsonNode event, String model) {
        JsonNode list = event.has("models") ? event.get("models") : event.get("upserted");
        for (JsonNode m : list) {
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
