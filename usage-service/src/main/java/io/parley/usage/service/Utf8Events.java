package io.parley.usage.service;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;

import io.parley.contracts.Utf8;

/**
 * Strict UTF-8 ({@link Utf8}, the rule the proxy and chat-service apply) for an ingest body, event by event. Jackson
 * decodes leniently (an overlong {@code C1 81} reads as "A") and fails the whole body on some invalid bytes; here every
 * byte that does not belong to a well-formed sequence is found, the events holding one are named so that each is
 * rejected alone (the others of the batch are stored), and the body Jackson then reads has those bytes replaced by
 * {@code ?}. Bad bytes outside every event fail the body: 400 {@code invalid_text}.
 */
public final class Utf8Events {

    /** The body with malformed bytes replaced; the reason of every event that held one, by index. */
    public record Checked(byte[] body, Map<Integer, String> malformedEvents) {
    }

    private static final JsonFactory FACTORY = new JsonFactory();

    private Utf8Events() {
    }

    public static Checked check(byte[] body) {
        List<Long> bad = new ArrayList<>();
        for (long at = Utf8.firstMalformed(body, 0); at >= 0; at = Utf8.firstMalformed(body, (int) at + 1)) {
            bad.add(at);
        }
        if (bad.isEmpty()) {
            return new Checked(body, Map.of());
        }
        byte[] clean = body.clone();
        for (long offset : bad) {
            clean[(int) offset] = '?';
        }
        Map<Integer, String> events = new TreeMap<>();
        Map<Long, String> paths = pathsAt(clean, bad);
        for (long offset : bad) {
            String path = paths.get(offset);
            String reason = "is not valid UTF-8 (an invalid, overlong or truncated byte sequence at byte " + offset
                    + " of the body)";
            int index = eventIndex(path);
            if (index < 0) {
                throw UsageException.invalidText(path, (path == null ? "the request body" : path) + " " + reason);
            }
            String inEvent = path.indexOf('.') > 0 ? path.substring(path.indexOf('.') + 1) : "the event";
            events.putIfAbsent(index, inEvent + " " + reason);
        }
        return new Checked(clean, events);
    }

    /** {@code 3} for {@code events[3]} and {@code events[3].model}; -1 for a path outside the events. */
    private static int eventIndex(String path) {
        if (path == null || !path.startsWith("events[")) {
            return -1;
        }
        int close = path.indexOf(']');
        try {
            return Integer.parseInt(path.substring("events[".length(), close));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /**
     * For each offset (ascending), the path of the JSON value or field name whose bytes hold it ({@code events[1].model}),
     * from one pass over the tokens; absent when it cannot be told (the body is not JSON: Jackson's parse answers).
     */
    static Map<Long, String> pathsAt(byte[] body, List<Long> offsets) {
        Map<Long, String> out = new TreeMap<>();
        int next = 0;
        String last = null;
        try (JsonParser p = FACTORY.createParser(body)) {
            JsonToken t;
            while (next < offsets.size() && (t = p.nextToken()) != null) {
                long start = p.currentTokenLocation().getByteOffset();
                while (next < offsets.size() && offsets.get(next) < start) {
                    if (last != null) {
                        out.put(offsets.get(next), last);
                    }
                    next++;
                }
                if (t.isScalarValue() || t == JsonToken.FIELD_NAME) {
                    last = path(p.getParsingContext());
                }
            }
            while (next < offsets.size() && last != null) {
                out.put(offsets.get(next++), last);
            }
        } catch (IOException e) {
            // not JSON: the body's own parse answers 400 invalid_json
        }
        return out;
    }

    private static String path(JsonStreamContext context) {
        ArrayDeque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.push("." + c.getCurrentName());
            }
        }
        String joined = String.join("", parts);
        return joined.isEmpty() ? null : joined.startsWith(".") ? joined.substring(1) : joined;
    }
}
