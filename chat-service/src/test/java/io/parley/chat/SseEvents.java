package io.parley.chat;

import java.util.ArrayList;
import java.util.List;

import io.restassured.path.json.JsonPath;

/** Parses a complete server-sent-events body into its events. */
public final class SseEvents {

    public record Event(String id, String name, String data) {
        public JsonPath json() {
            return JsonPath.from(data);
        }
    }

    private SseEvents() {
    }

    public static List<Event> parse(String body) {
        List<Event> out = new ArrayList<>();
        String id = null;
        String name = null;
        StringBuilder data = null;
        for (String line : (body + "\n\n").split("\r?\n", -1)) {
            if (line.isEmpty()) {
                if (data != null) {
                    out.add(new Event(id, name, data.toString()));
                }
                id = null;
                name = null;
                data = null;
            } else if (line.startsWith("data:")) {
                String v = line.substring(line.startsWith("data: ") ? 6 : 5);
                data = data == null ? new StringBuilder(v) : data.append('\n').append(v);
            } else if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("id:")) {
                id = line.substring(3).trim();
            }
        }
        return out;
    }

    public static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).toList();
    }
}
