package io.parley.proxy.sse;

import java.util.function.Consumer;

import io.vertx.core.buffer.Buffer;

/**
 * Cuts an upstream SSE byte stream into whole events (up to and including the blank line that ends each), without
 * copying when an event lies within one chunk. Bytes are never re-encoded; only a partial event at the end of a chunk is
 * held until its end arrives.
 */
public final class SseEventSplitter {

    /** Receives each whole event, with its bytes readable as {@code bytes[offset, offset + length)} (do not modify). */
    @FunctionalInterface
    public interface Sink {
        void accept(Buffer event, byte[] bytes, int offset, int length);
    }

    private Buffer pending;
    private boolean atLineStart = true;

    public void feed(Buffer chunk, Consumer<Buffer> onEvent) {
        feed(chunk, (event, bytes, offset, length) -> onEvent.accept(event));
    }

    /**
     * Splits one chunk. Its bytes are copied once into a heap array and scanned there (reading a pooled direct buffer
     * byte by byte costs a bounds and reference-count check each); the events handed on are slices of the chunk.
     */
    public void feed(Buffer chunk, Sink sink) {
        byte[] bytes = chunk.getBytes();
        int len = bytes.length;
        int eventStart = 0;
        for (int i = 0; i < len; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                if (atLineStart) {
                    if (pending != null) {
                        Buffer event = pending.appendBuffer(chunk, eventStart, i + 1 - eventStart);
                        pending = null;
                        eventStart = i + 1;
                        byte[] whole = event.getBytes();
                        sink.accept(event, whole, 0, whole.length);
                    } else {
                        Buffer event = chunk.slice(eventStart, i + 1);
                        int start = eventStart;
                        eventStart = i + 1;
                        sink.accept(event, bytes, start, i + 1 - start);
                    }
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
