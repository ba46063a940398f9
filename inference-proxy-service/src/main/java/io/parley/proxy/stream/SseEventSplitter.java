package io.parley.proxy.stream;

import java.util.function.Consumer;

import io.vertx.core.buffer.Buffer;

/**
 * Cuts an upstream SSE byte stream into whole events (up to and including the blank line that ends each), without
 * copying when an event lies within one chunk. Bytes are never re-encoded; only a partial event at the end of a chunk is
 * held until its end arrives.
 */
public final class SseEventSplitter {

    private Buffer pending;
    private boolean atLineStart = true;

    public void feed(Buffer chunk, Consumer<Buffer> onEvent) {
        int len = chunk.length();
        int eventStart = 0;
        for (int i = 0; i < len; i++) {
            byte b = chunk.getByte(i);
            if (b == '\n') {
                if (atLineStart) {
                    Buffer event;
                    if (pending != null) {
                        event = pending.appendBuffer(chunk, eventStart, i + 1 - eventStart);
                        pending = null;
                    } else {
                        event = chunk.slice(eventStart, i + 1);
                    }
                    eventStart = i + 1;
                    onEvent.accept(event);
                } else {
                    atLineStart = true;
                }
            } else if (b != '\r') {
                atLineStart = false;
            }
        }
        if (eventStart < len) {
            if (pending == null) {
                pending = Buffer.buffer(len - eventStart + 64);
            }
            pending.appendBuffer(chunk, eventStart, len - eventStart);
        }
    }

    /** Bytes of an event the upstream never finished (relayed as they are at end of stream). */
    public Buffer remainder() {
        Buffer rest = pending;
        pending = null;
        return rest;
    }
}
