package io.parley.chat.client;

import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

import io.vertx.core.buffer.Buffer;

/**
 * Incremental server-sent-events parser: fed raw buffers as they arrive (lines may be split anywhere, even inside a
 * UTF-8 sequence), it calls back with (event name or null, data) for every complete event.
 */
final class SseParser {

    private final BiConsumer<String, String> onEvent;
    private Buffer pending = Buffer.buffer();
    private String eventName;
    private StringBuilder data;

    SseParser(BiConsumer<String, String> onEvent) {
        this.onEvent = onEvent;
    }

    void feed(Buffer chunk) {
        pending.appendBuffer(chunk);
        int start = 0;
        for (int i = 0; i < pending.length(); i++) {
            if (pending.getByte(i) == '\n') {
                int end = i > start && pending.getByte(i - 1) == '\r' ? i - 1 : i;
                line(pending.getString(start, end, StandardCharsets.UTF_8.name()));
                start = i + 1;
            }
        }
        pending = start == 0 ? pending : pending.getBuffer(start, pending.length());
    }

    /** End of input: a last event without its blank line still counts. */
    void end() {
        if (pending.length() > 0) {
            line(pending.toString(StandardCharsets.UTF_8));
            pending = Buffer.buffer();
        }
        line("");
    }

    private void line(String line) {
        if (line.isEmpty()) {
            if (data != null) {
                onEvent.accept(eventName, data.toString());
            }
            eventName = null;
            data = null;
        } else if (line.startsWith("data:")) {
            String value = line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5);
            if (data == null) {
                data = new StringBuilder(value);
            } else {
                data.append('\n').append(value);
            }
        } else if (line.startsWith("event:")) {
            eventName = line.substring(6).trim();
        }
        // comments (":") and other fields (id, retry) are not needed
    }
}
