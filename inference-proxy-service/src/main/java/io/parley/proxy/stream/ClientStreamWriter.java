package io.parley.proxy.stream;

import java.util.function.BooleanSupplier;

import io.parley.proxy.service.ServiceError;
import io.parley.proxy.translate.StreamTranslator;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * What one call writes to its client: the event stream's head, its events (those of one upstream chunk gathered and
 * written once), back-pressure on the upstream while the client's connection is full, a non-streamed answer in slices,
 * and errors in the client's API: JSON with its status before the first byte, an error event after it. Counts the body
 * bytes the client's connection accepted. Runs on the call's event loop.
 */
final class ClientStreamWriter {

    private static final String ERROR_EVENT_PREFIX = "data: ";
    /** Non-streamed answers larger than this are written in slices of this size. */
    private static final int NON_STREAM_SLICE = 64 * 1024;

    private final HttpServerResponse out;
    /** Present when the client speaks another API: error bodies and events in its shape. */
    private final StreamTranslator translator;
    private final ErrorStatus errorStatus;

    /** Events of the upstream chunk being split, written once at its end. */
    private Buffer batch;
    private boolean batchOwned;
    private boolean batching;
    private boolean bytesSent;
    private boolean bodyStarted;
    /** Response body bytes the client's connection accepted (write futures that succeeded). */
    private long bytesDelivered;

    ClientStreamWriter(HttpServerResponse out, StreamTranslator translator, ErrorStatus errorStatus) {
        this.out = out;
        this.errorStatus = errorStatus;
        this.translator = translator;
    }

    /** Runs {@code action} when the client's connection closes. */
    void onClose(Runnable action) {
        out.closeHandler(v -> action.run());
    }

    /** The head of a server-sent event stream (200). */
    void openEventStream() {
        out.setStatusCode(200);
        out.setChunked(true);
        out.putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream");
        out.putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        out.putHeader("X-Accel-Buffering", "no");
    }

    /** From here to {@link #endChunk()}, writes are gathered (the events of one upstream chunk). */
    void beginChunk() {
        batching = true;
    }

    /** Writes what the chunk's events gathered, once. */
    void endChunk() {
        batching = false;
        flush();
    }

    /**
     * While the client's connection cannot take more, the upstream is paused; it resumes when the connection drained,
     * unless the call is over by then.
     */
    void throttle(HttpClientResponse upstream, BooleanSupplier callOver) {
        if (!callOver.getAsBoolean() && out.writeQueueFull()) {
            upstream.pause();
            out.drainHandler(v -> {
                if (!callOver.getAsBoolean()) {
                    upstream.resume();
                }
            });
        }
    }

    /** Writes to the client, or gathers it while a chunk is being split. */
    void write(Buffer data) {
        bytesSent = true;
        if (!batching) {
            flush();
            send(data);
        } else if (batch == null) {
            batch = data;
        } else {
            if (!batchOwned) {
                batch = Buffer.buffer(batch.length() + data.length() + 64).appendBuffer(batch);
                batchOwned = true;
            }
            batch.appendBuffer(data);
        }
    }

    /** Ends the stream normally; the future tells whether the client's connection took its last bytes. */
    Future<Void> end() {
        return out.end();
    }

    /**
     * Ends the call with an error: JSON with its status if nothing reached the client yet, else an error event after
     * what it received (if its connection is still open).
     */
    void fail(ServiceError error) {
        if (!bytesSent) {
            sendError(error);
            return;
        }
        flush();
        if (!out.ended() && !out.closed()) {
            out.end(errorEvent(error));
        }
    }

    /** An upstream refused the call (4xx): its status, and the error body in the client's shape. */
    void refused(int status, String json) {
        out.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json);
    }

    /** An upstream refused the call with an OpenAI-shaped body, relayed as it came. */
    void refused(int status, Buffer json) {
        out.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json);
    }

    /**
     * A non-streamed answer; a large one goes out in slices, so what the client's connection accepted before it left is
     * known. The future tells whether it took the last slice.
     */
    Future<Void> answer(int status, Buffer answer) {
        out.setStatusCode(status);
        out.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        bytesSent = true;
        bodyStarted = true;
        int length = answer.length();
        int sent = 0;
        if (length > NON_STREAM_SLICE) {
            out.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(length));
            for (; sent + NON_STREAM_SLICE < length; sent += NON_STREAM_SLICE) {
                send(answer.slice(sent, sent + NON_STREAM_SLICE));
            }
        }
        int last = length - sent;
        return out.end(sent == 0 ? answer : answer.slice(sent, length)).onSuccess(v -> bytesDelivered += last);
    }

    /** True once anything was written (or gathered) for the client. */
    boolean started() {
        return bytesSent;
    }

    /** Body bytes the client's connection accepted, or null if no body was started (an error answered whole). */
    Long delivered() {
        return bodyStarted ? bytesDelivered : null;
    }

    /** Body bytes the client's connection accepted so far. */
    long bytesDelivered() {
        return bytesDelivered;
    }

    private void flush() {
        if (batch != null) {
            Buffer data = batch;
            batch = null;
            batchOwned = false;
            if (!out.ended() && !out.closed()) {
                send(data);
            }
        }
    }

    /** Writes to the client and counts the bytes once its connection accepted them. */
    private void send(Buffer data) {
        bodyStarted = true;
        int length = data.length();
        out.write(data).onSuccess(v -> bytesDelivered += length);
    }

    private Buffer errorEvent(ServiceError error) {
        return translator != null ? translator.error(error)
                : Buffer.buffer(ERROR_EVENT_PREFIX + error.toJson() + "\n\n");
    }

    private void sendError(ServiceError error) {
        if (out.ended() || out.closed()) {
            return;
        }
        out.setChunked(false);
        out.headers().remove(HttpHeaders.CACHE_CONTROL).remove("X-Accel-Buffering");
        out.setStatusCode(errorStatus.of(error)).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(translator != null ? translator.errorBody(error) : error.toJson());
    }
}
