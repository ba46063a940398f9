package io.parley.proxy.stream;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.contracts.UsageEvent;
import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.metrics.ProxyMetrics;
import io.parley.proxy.service.ServiceError;
import io.parley.proxy.sse.ChunkInspector;
import io.parley.proxy.sse.SseEventSplitter;
import io.parley.proxy.translate.StreamTranslator;
import io.parley.proxy.usage.UsageSpool;
import io.quarkus.logging.Log;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;

/**
 * One proxied call, coordinated: its upstream side ({@link UpstreamAttempt}: endpoint, connect, the one retry path),
 * its client side ({@link ClientStreamWriter}: batching, back-pressure, error events), its figures ({@link CallMeter})
 * and its end ({@link CallOutcomes}: usage exactly once, metrics, limits). What it does itself: route the upstream's
 * answer (stream, whole answer, refusal), look at each event (content, usage, error, translation), and end the call on
 * its timers (first token, idle, maximum duration) or the shutdown. All methods run on the request's event loop; nothing
 * blocks.
 *
 * <p>
 * Retries happen only before the first upstream byte. Once the upstream answered 200 the call is committed: a later
 * failure ends the stream with an error event after what was already sent.
 */
final class RelayCall implements UpstreamAttempt.Listener {

    /** The call's time limits ({@code parley.proxy.upstream.*}, {@code parley.proxy.limits.max-stream-duration}). */
    record Timeouts(Duration firstToken, Duration response, Duration idle, Duration maxStreamDuration) {
    }

    private final RelayRequest request;
    private final RegistryModel model;
    private final Vertx vertx;
    private final Timeouts timeouts;
    private final CallOutcomes outcomes;
    private final ProxyMetrics metrics;
    private final ObjectMapper mapper;
    private final RelayService registry;
    private final UpstreamAttempt upstream;
    private final UpstreamErrors upstreamErrors;
    private final ClientStreamWriter client;
    /** Present when the client speaks another API; then chunks are parsed and re-encoded by it. */
    private final StreamTranslator translator;
    private final SseEventSplitter splitter = new SseEventSplitter();
    /** TTFT, token counts and rate, latency: what the usage event and the usage object carry. */
    private final CallMeter meter;
    private final long idleTimeoutMillis;

    private HttpClientResponse upstreamResponse;
    private ObjectNode lastUsage;
    private long timer = -1;
    /** Ends the call at {@code limits.max-stream-duration}; armed once at the start. */
    private long durationTimer = -1;
    private boolean finished;
    private boolean upstreamErrorEvent;
    private boolean streamOpen;
    private boolean pendingTtftMetric;
    private long lastChunkNanos;
    /** The upstream's answer is complete; what remains is writing its last bytes to the client. */
    private boolean upstreamDone;
    private UsageSpool.Ticket ticket;
    /** The event loop context of this call: the drain at shutdown ends the call there. */
    private Context context;

    RelayCall(RelayRequest request, RegistryModel model, HttpServerResponse out, Vertx vertx, Timeouts timeouts,
            UpstreamConnector upstreams, CallOutcomes outcomes, ProxyMetrics metrics, ObjectMapper mapper,
            ErrorStatus errorStatus, RelayService registry) {
        this.request = request;
        this.model = model;
        this.vertx = vertx;
        this.timeouts = timeouts;
        this.outcomes = outcomes;
        this.metrics = metrics;
        this.mapper = mapper;
        this.registry = registry;
        this.translator = request.translation().map(t -> t.answer(request.model())).orElse(null);
        this.client = new ClientStreamWriter(out, translator, errorStatus);
        this.upstream = upstreams.open(request, model, this);
        this.upstreamErrors = upstreams.errors();
        this.idleTimeoutMillis = timeouts.idle().toMillis();
        this.meter = new CallMeter(System::nanoTime, request.envelope().startNanos(), request.clientStream(),
                request.promptTokensEstimate());
    }

    void start() {
        context = Vertx.currentContext();
        client.onClose(this::onClientClosed);
        metrics.streamOpened();
        streamOpen = true;
        ticket = outcomes.started(request, model);
        registry.opened(this);
        durationTimer = vertx.setTimer(Math.max(1, timeouts.maxStreamDuration().toMillis()), id -> onMaxDuration());
        upstream.start();
    }

    /** Runs {@code action} on this call's event loop. */
    void onContext(Runnable action) {
        if (context == null) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    /**
     * The call reached {@code limits.max-stream-duration}: the upstream is closed, a stream gets an OpenAI-shaped error
     * event {@code max_stream_duration} after what it received (a call that sent nothing yet: the error as JSON), and
     * the usage says {@code interrupted} with error type {@code max_stream_duration}.
     */
    private void onMaxDuration() {
        durationTimer = -1;
        if (finished) {
            return;
        }
        Log.infof("[%s] ended at the maximum duration %s after %d content event(s)", request.correlationId(),
                timeouts.maxStreamDuration(), meter.contentEvents());
        metrics.limited("max_stream_duration", "call");
        end(ServiceError.maxStreamDuration(timeouts.maxStreamDuration()), UsageEvent.INTERRUPTED, "max_stream_duration");
    }

    /**
     * The drain time at shutdown is over and this call is still open: a stream gets an error event
     * {@code server_shutting_down} after what it already received, a call that sent nothing yet gets 503; the upstream
     * is closed and the usage says {@code interrupted}.
     */
    void shutDown() {
        if (finished) {
            return;
        }
        Log.infof("[%s] interrupted by the shutdown after %d content event(s)", request.correlationId(),
                meter.contentEvents());
        end(ServiceError.shuttingDown(), UsageEvent.INTERRUPTED, "server_shutting_down");
    }

    // ---- the upstream's answer --------------------------------------------------------------------------------

    @Override
    public void connecting() {
        armTimer(request.clientStream() ? timeouts.firstToken().toMillis() : timeouts.response().toMillis(),
                this::onFirstTokenTimeout);
    }

    @Override
    public void failed(ServiceError error, String errorType) {
        cancelTimer();
        client.fail(error);
        finish(UsageEvent.ERROR, errorType);
    }

    @Override
    public void answered(HttpClientResponse response) {
        upstreamResponse = response;
        int status = response.statusCode();
        if (status >= 400) {
            response.body().onComplete(body -> {
                if (finished || upstream.stopped()) {
                    return;
                }
                cancelTimer();
                metrics.upstreamError(model.name(), "status_" + status);
                refused(status, body.succeeded() ? body.result() : Buffer.buffer());
                finish(UsageEvent.ERROR, "upstream_" + status);
            });
        } else if (request.clientStream()) {
            client.openEventStream();
            response.handler(this::onChunk);
            response.endHandler(v -> onUpstreamEnd());
            response.exceptionHandler(this::onStreamFailure);
        } else {
            response.body().onComplete(body -> {
                if (finished || upstream.stopped()) {
                    return;
                }
                if (body.failed()) {
                    onStreamFailure(body.cause());
                } else {
                    onWholeAnswer(response.statusCode(), body.result());
                }
            });
        }
    }

    /** The upstream refused the call (4xx): its status and message in the client's API. */
    private void refused(int status, Buffer payload) {
        if (translator != null) {
            client.refused(status, translator.errorBody(
                    ServiceError.upstreamRefused(status, upstreamErrors.message(payload), "invalid_request_error", null)));
        } else if (upstreamErrors.isOpenAiError(payload)) {
            client.refused(status, payload);
        } else {
            client.refused(status, ServiceError.upstreamRefused(status, "upstream rejected the request: "
                    + payload.toString(java.nio.charset.StandardCharsets.UTF_8), "invalid_request_error",
                    "upstream_rejected").toJson());
        }
    }

    // ---- streaming --------------------------------------------------------------------------------------------

    private void onChunk(Buffer chunk) {
        if (finished) {
            return;
        }
        lastChunkNanos = System.nanoTime();
        client.beginChunk();
        splitter.feed(chunk, this::onEvent);
        client.endChunk();
        if (pendingTtftMetric) {
            pendingTtftMetric = false;
            metrics.ttft(model.name(), meter.ttftNanos());
        }
        client.throttle(upstreamResponse, () -> finished);
    }

    private void onEvent(Buffer event, byte[] bytes, int offset, int length) {
        if (finished) {
            return;
        }
        int flags = ChunkInspector.inspect(bytes, offset, offset + length);
        if ((flags & ChunkInspector.CONTENT) != 0) {
            if (meter.contentEvent()) {
                armTimer(idleTimeoutMillis, this::onIdleCheck);
                pendingTtftMetric = true; // recorded after the chunk is written, off the first byte's path
            }
        }
        if ((flags & ChunkInspector.ERROR) != 0) {
            upstreamErrorEvent = true;
        }
        if (translator != null) {
            translate(event, flags);
            return;
        }
        if ((flags & ChunkInspector.USAGE) != 0) {
            onUsageEvent(event);
            return;
        }
        client.write(event);
    }

    private void translate(Buffer event, int flags) {
        if ((flags & ChunkInspector.DONE) != 0) {
            return;
        }
        if (!(parse(event) instanceof ObjectNode chunk)) {
            return;
        }
        if (chunk.get("usage") instanceof ObjectNode usage) {
            meter.usage(usage);
            meter.addServerMetrics(usage); // the translator carries them into its own usage object
            lastUsage = usage;
        }
        Buffer translated = translator.chunk(chunk);
        if (translated.length() > 0) {
            client.write(translated);
        }
    }

    /** The usage chunk: counted, and relayed with the server's figures if the client asked for usage. */
    private void onUsageEvent(Buffer event) {
        if (!(parse(event) instanceof ObjectNode chunk) || !(chunk.get("usage") instanceof ObjectNode usage)) {
            client.write(event);
            return;
        }
        meter.usage(usage);
        JsonNode choices = chunk.get("choices");
        boolean hasChoices = choices != null && choices.isArray() && !choices.isEmpty();
        if (request.clientWantsUsage()) {
            meter.addServerMetrics(usage);
            client.write(Buffer.buffer("data: " + chunk + "\n\n"));
        } else if (hasChoices) {
            chunk.remove("usage");
            client.write(Buffer.buffer("data: " + chunk + "\n\n"));
        }
    }

    private JsonNode parse(Buffer event) {
        String data = ChunkInspector.data(event);
        try {
            return data == null ? null : mapper.readTree(data);
        } catch (Exception e) {
            return null;
        }
    }

    private void onUpstreamEnd() {
        if (finished) {
            return;
        }
        Buffer rest = splitter.remainder();
        if (translator != null) {
            client.write(translator.end(lastUsage));
        } else if (rest != null && rest.length() > 0) {
            client.write(rest);
        }
        meter.upstreamEnded();
        upstreamDone = true;
        cancelTimer(); // no idle or first-token timeout once the upstream is done
        String status = upstreamErrorEvent ? UsageEvent.ERROR : UsageEvent.OK;
        String errorType = upstreamErrorEvent ? "upstream_error_event" : null;
        // the call ends when its last byte is written to the client (usage as the client saw it)
        client.end().onComplete(ar -> {
            if (ar.succeeded()) {
                finish(status, errorType);
            } else {
                finish(UsageEvent.CLIENT_DISCONNECTED, "client_disconnected");
            }
        });
    }

    private void onStreamFailure(Throwable cause) {
        if (finished || upstream.stopped()) {
            return;
        }
        metrics.upstreamError(model.name(), "stream_broken");
        Log.warnf("[%s] upstream %s failed mid-stream after %d content event(s): %s", request.correlationId(),
                upstream.endpointUrl(), meter.contentEvents(), cause.toString());
        end(ServiceError.badGateway("upstream connection lost: " + cause.getMessage(), "upstream_disconnected"),
                UsageEvent.ERROR, "upstream_disconnected");
    }

    // ---- a non-streamed answer --------------------------------------------------------------------------------

    private void onWholeAnswer(int status, Buffer body) {
        meter.wholeAnswer();
        JsonNode root;
        try {
            root = mapper.readTree(body.getBytes());
        } catch (Exception e) {
            root = null;
        }
        Buffer answer;
        if (root instanceof ObjectNode object && object.get("usage") instanceof ObjectNode usage) {
            meter.counts(usage);
            meter.addServerMetrics(usage);
            answer = Buffer.buffer(translator != null ? translator.response(object).toString() : object.toString());
        } else {
            answer = body;
        }
        upstreamDone = true;
        client.answer(status, answer).onComplete(ar -> finish(ar.succeeded() ? UsageEvent.OK
                : UsageEvent.CLIENT_DISCONNECTED, ar.succeeded() ? null : "client_disconnected"));
    }

    // ---- timers and the client leaving ------------------------------------------------------------------------

    private void onFirstTokenTimeout() {
        if (finished) {
            return;
        }
        metrics.upstreamError(model.name(), "timeout");
        if (!client.started()) {
            upstream.timedOut();
        }
        end(ServiceError.gatewayTimeout("model '" + model.name() + "' did not answer within "
                + (request.clientStream() ? timeouts.firstToken() : timeouts.response())), UsageEvent.ERROR,
                "upstream_timeout");
    }

    /**
     * The idle timer is armed once and re-armed only when it fires (for the rest of the window since the last chunk), not
     * on every chunk.
     */
    private void onIdleCheck() {
        if (finished) {
            return;
        }
        long remainingMillis = idleTimeoutMillis - (System.nanoTime() - lastChunkNanos) / 1_000_000;
        if (remainingMillis > 0) {
            armTimer(remainingMillis, this::onIdleCheck);
            return;
        }
        metrics.upstreamError(model.name(), "idle_timeout");
        end(ServiceError.gatewayTimeout("model '" + model.name() + "' sent nothing for " + timeouts.idle()),
                UsageEvent.ERROR, "upstream_idle_timeout");
    }

    private void onClientClosed() {
        if (finished) {
            return;
        }
        if (upstreamDone) {
            // the answer was complete, but the client left before all of it was written to it
            Log.infof("[%s] client went away after %d of the answer's bytes", request.correlationId(),
                    client.bytesDelivered());
            finish(UsageEvent.CLIENT_DISCONNECTED, "client_disconnected");
            return;
        }
        Log.infof("[%s] client went away after %d content event(s); closing upstream", request.correlationId(),
                meter.contentEvents());
        boolean shutdown = registry.shuttingDown();
        finish(shutdown ? UsageEvent.INTERRUPTED : UsageEvent.CANCELLED, shutdown ? "server_shutting_down" : null);
        upstream.reset();
    }

    // ---- the end ----------------------------------------------------------------------------------------------

    /** Ends the call early: the upstream is closed, the client gets {@code error} (JSON or an event), usage is written. */
    private void end(ServiceError error, String status, String errorType) {
        cancelTimer();
        upstream.reset();
        client.fail(error);
        finish(status, errorType);
    }

    private void finish(String status, String errorType) {
        if (finished) {
            return;
        }
        finished = true;
        cancelTimer();
        if (durationTimer >= 0) {
            vertx.cancelTimer(durationTimer);
            durationTimer = -1;
        }
        upstream.done();
        if (streamOpen) {
            streamOpen = false;
            metrics.streamClosed();
        }
        registry.closed(this);
        // latency as the client saw it: until now, when its last byte was written (or it left)
        outcomes.ended(request, model, status, errorType, meter.summary(status), client.delivered(), ticket);
    }

    /** Always called on the call's event loop, so the timer fires there too. */
    private void armTimer(long millis, Runnable action) {
        cancelTimer();
        timer = vertx.setTimer(Math.max(1, millis), id -> {
            if (timer == id) {
                timer = -1;
                action.run();
            }
        });
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
