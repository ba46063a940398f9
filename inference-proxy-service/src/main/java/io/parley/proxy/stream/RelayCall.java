package io.parley.proxy.stream;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.client.RegistryModel.Endpoint;
import io.parley.proxy.rest.ApiError;
import io.parley.proxy.service.UpstreamCredentials;
import io.parley.proxy.translate.StreamTranslator;
import io.parley.proxy.usage.UsageEvent;
import io.parley.proxy.usage.UsageSpool;
import io.quarkus.logging.Log;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;

/**
 * One proxied call: picks an endpoint, sends the request, relays the answer event by event, measures, and records usage
 * exactly once. All methods run on the request's event loop; nothing blocks.
 *
 * <p>
 * Retries happen only before the first upstream byte (connect failures and 5xx, on another endpoint). Once the upstream
 * answered 200 the call is committed: a later failure ends the stream with an error event after what was already sent.
 */
final class RelayCall {

    private static final String ERROR_EVENT_PREFIX = "data: ";
    /** Non-streamed answers larger than this are written in slices of this size. */
    private static final int NON_STREAM_SLICE = 64 * 1024;

    private final RelayService svc;
    private final RoutingContext rc;
    private final HttpServerResponse out;
    private final CallContext call;
    private final RegistryModel model;
    private final Set<String> tried = new HashSet<>();
    private final SseEventSplitter splitter = new SseEventSplitter();
    /** Present when the client speaks another API; then chunks are parsed and re-encoded by it. */
    private final StreamTranslator translator;
    private ObjectNode lastUsage;

    private String endpointUrl;
    private HttpClientRequest upstreamRequest;
    private HttpClientResponse upstreamResponse;
    private int attempts;
    /** An endpoint was passed over because its API key is not available (UpstreamCredentials). */
    private boolean keyUnavailable;
    private long timer = -1;
    /** Ends the call at {@code limits.max-stream-duration}; armed once at the start. */
    private long durationTimer = -1;
    private boolean finished;
    private boolean clientBytesSent;
    private boolean upstreamErrorEvent;
    private boolean streamOpen;
    /** Set before the proxy itself resets the upstream, so the resulting failure callbacks are ignored. */
    private boolean upstreamClosedByProxy;

    private final long idleTimeoutMillis;
    /** TTFT, token counts and rate, latency: what the usage event and the usage object carry. */
    private final CallMeter meter;
    private long lastChunkNanos;
    /** Events of the upstream chunk being split, written once at its end. */
    private Buffer batch;
    private boolean batchOwned;
    private boolean batching;
    private boolean pendingTtftMetric;

    /** The upstream's answer is complete; what remains is writing its last bytes to the client. */
    private boolean upstreamDone;
    /** Response body bytes the client's connection accepted (write futures that succeeded). */
    private long bytesDelivered;
    private boolean bodyStarted;
    private UsageSpool.Ticket ticket;
    /** The event loop context of this call: the drain at shutdown ends the call there. */
    private Context context;

    RelayCall(RelayService svc, RoutingContext rc, CallContext call) {
        this.svc = svc;
        this.rc = rc;
        this.out = rc.response();
        this.call = call;
        this.model = call.model();
        this.translator = call.translator().orElse(null);
        this.idleTimeoutMillis = svc.config.upstream().idleTimeout().toMillis();
        this.meter = new CallMeter(System::nanoTime, call.startNanos(), call.clientStream(), call.promptTokensEstimate());
    }

    void start() {
        context = Vertx.currentContext();
        out.closeHandler(v -> onClientClosed());
        svc.metrics.streamOpened();
        streamOpen = true;
        ticket = svc.recorder.started(usageEvent(UsageEvent.INTERRUPTED, "proxy_stopped", null, null, null,
                call.promptTokensEstimate(), 0, null));
        svc.opened(this);
        long maxMillis = svc.config.limits().maxStreamDuration().toMillis();
        durationTimer = svc.vertx.setTimer(Math.max(1, maxMillis), id -> onMaxDuration());
        attempt();
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
        Log.infof("[%s] ended at the maximum duration %s after %d content event(s)", call.correlationId(),
                svc.config.limits().maxStreamDuration(), meter.contentEvents());
        svc.metrics.limited("max_stream_duration", "call");
        resetUpstream();
        ApiError error = ApiError.maxStreamDuration(svc.config.limits().maxStreamDuration());
        if (!clientBytesSent) {
            sendError(error);
        } else {
            flushBatch();
            if (!out.ended() && !out.closed()) {
                out.end(errorEvent(error));
            }
        }
        finish(UsageEvent.INTERRUPTED, "max_stream_duration");
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
     * The drain time at shutdown is over and this call is still open: a stream gets an error event
     * {@code server_shutting_down} after what it already received, a call that sent nothing yet gets 503; the upstream
     * is closed and the usage says {@code interrupted}.
     */
    void shutDown() {
        if (finished) {
            return;
        }
        Log.infof("[%s] interrupted by the shutdown after %d content event(s)", call.correlationId(), meter.contentEvents());
        resetUpstream();
        ApiError error = ApiError.shuttingDown();
        if (!clientBytesSent) {
            sendError(error);
        } else {
            flushBatch();
            if (!out.ended() && !out.closed()) {
                out.end(errorEvent(error));
            }
        }
        finish(UsageEvent.INTERRUPTED, "server_shutting_down");
    }

    // ---- connecting -------------------------------------------------------------------------------------------

    private void attempt() {
        Optional<Endpoint> picked = svc.balancer.pick(model.endpoints(), tried);
        if (picked.isEmpty() && attempts == 0 && keyUnavailable) {
            // every endpoint left needs an API key the proxy does not have (the reason is in the proxy's log)
            failBeforeFirstByte(ApiError.unavailable("the upstream of model '" + model.name() + "' needs an API key"
                    + " that is not available to the proxy; an admin finds the reason in the proxy's log",
                    "upstream_credential_unavailable"), "upstream_credential_unavailable");
            return;
        }
        if (picked.isEmpty()) {
            failBeforeFirstByte(ApiError.badGateway("no reachable endpoint for model '" + model.name() + "'",
                    "upstream_unavailable"), "upstream_unavailable");
            return;
        }
        Endpoint endpoint = picked.get();
        UpstreamCredentials.Lookup credential = svc.credentials.lookup(endpoint.credentialRef());
        if (credential.unavailable().isPresent()) {
            // not sent without its key: try another endpoint of the model
            tried.add(endpoint.url());
            keyUnavailable = true;
            attempt();
            return;
        }
        endpointUrl = endpoint.url();
        tried.add(endpointUrl);
        attempts++;
        svc.balancer.acquire(endpointUrl);

        RequestOptions options = svc.upstreamOptions(upstreamUri(endpointUrl, call.kind())).setMethod(HttpMethod.POST)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.ACCEPT, call.clientStream() ? "text/event-stream" : "application/json")
                .putHeader("X-Correlation-Id", call.correlationId())
                .putHeader("X-Request-Id", call.requestId());
        credential.key().ifPresent(key -> options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key));

        armTimer(call.clientStream() ? svc.config.upstream().firstTokenTimeout().toMillis()
                : svc.config.upstream().responseTimeout().toMillis(), this::onFirstTokenTimeout);
        svc.client().request(options).onComplete(ar -> {
            if (finished) {
                if (ar.succeeded()) {
                    ar.result().reset();
                }
                return;
            }
            if (ar.failed()) {
                onAttemptFailed(ar.cause(), "connect");
                return;
            }
            upstreamRequest = ar.result();
            upstreamRequest.send(call.upstreamBody()).onComplete(rar -> {
                if (finished || upstreamClosedByProxy) {
                    return;
                }
                if (rar.failed()) {
                    onAttemptFailed(rar.cause(), "connect");
                } else {
                    onResponse(rar.result());
                }
            });
        });
    }

    private void onAttemptFailed(Throwable cause, String reason) {
        cancelTimer();
        String failedUrl = endpointUrl; // releaseEndpoint() clears the field
        svc.balancer.failure(failedUrl);
        releaseEndpoint();
        svc.metrics.upstreamError(model.name(), reason);
        Log.warnf("[%s] upstream %s failed (attempt %d): %s", call.correlationId(), failedUrl, attempts,
                cause.toString());
        upstreamRequest = null;
        if (attempts < svc.config.upstream().maxAttempts()
                && svc.balancer.pick(model.endpoints(), tried).isPresent()) {
            svc.metrics.upstreamRetry(model.name(), reason);
            attempt();
            return;
        }
        failBeforeFirstByte(ApiError.badGateway("upstream for model '" + model.name() + "' unavailable: "
                + cause.getMessage(), "upstream_unavailable"), "upstream_unavailable");
    }

    private void onResponse(HttpClientResponse response) {
        upstreamResponse = response;
        int status = response.statusCode();
        if (status >= 500) {
            response.body().onComplete(body -> {
                if (finished || upstreamClosedByProxy) {
                    return;
                }
                cancelTimer();
                String failedUrl = endpointUrl; // releaseEndpoint() clears the field
                svc.balancer.failure(failedUrl);
                releaseEndpoint();
                svc.metrics.upstreamError(model.name(), "status_" + status);
                upstreamRequest = null;
                upstreamResponse = null;
                Log.warnf("[%s] upstream %s answered %d (attempt %d)", call.correlationId(), failedUrl, status,
                        attempts);
                if (attempts < svc.config.upstream().maxAttempts()
                        && svc.balancer.pick(model.endpoints(), tried).isPresent()) {
                    svc.metrics.upstreamRetry(model.name(), "status_" + status);
                    attempt();
                    return;
                }
                String detail = body.succeeded() ? upstreamMessage(body.result()) : null;
                failBeforeFirstByte(ApiError.badGateway("upstream for model '" + model.name() + "' answered " + status
                        + (detail == null ? "" : ": " + detail), "upstream_error"), "upstream_" + status);
            });
            return;
        }
        svc.balancer.success(endpointUrl);
        if (status >= 400) {
            response.body().onComplete(body -> {
                if (finished || upstreamClosedByProxy) {
                    return;
                }
                cancelTimer();
                Buffer payload = body.succeeded() ? body.result() : Buffer.buffer();
                svc.metrics.upstreamError(model.name(), "status_" + status);
                if (translator != null) {
                    String detail = upstreamMessage(payload);
                    out.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .end(translator.errorBody(new ApiError(status, detail, "invalid_request_error", null, null)));
                } else if (looksLikeOpenAiError(payload)) {
                    out.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(payload);
                } else {
                    ApiError error = new ApiError(status, "upstream rejected the request: "
                            + payload.toString(StandardCharsets.UTF_8), "invalid_request_error", null, "upstream_rejected");
                    out.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(error.toJson());
                }
                finish(UsageEvent.ERROR, "upstream_" + status);
            });
            return;
        }
        if (call.clientStream()) {
            out.setStatusCode(200);
            out.setChunked(true);
            out.putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream");
            out.putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
            out.putHeader("X-Accel-Buffering", "no");
            response.handler(this::onChunk);
            response.endHandler(v -> onUpstreamEnd());
            response.exceptionHandler(this::onStreamFailure);
        } else {
            response.body().onComplete(body -> {
                if (finished || upstreamClosedByProxy) {
                    return;
                }
                if (body.failed()) {
                    onStreamFailure(body.cause());
                } else {
                    onNonStreamBody(response, body.result());
                }
            });
        }
    }

    // ---- streaming --------------------------------------------------------------------------------------------

    private void onChunk(Buffer chunk) {
        if (finished) {
            return;
        }
        lastChunkNanos = System.nanoTime();
        batching = true;
        splitter.feed(chunk, this::onEvent);
        batching = false;
        flushBatch();
        if (pendingTtftMetric) {
            pendingTtftMetric = false;
            svc.metrics.ttft(model.name(), meter.ttftNanos());
        }
        if (!finished && out.writeQueueFull()) {
            upstreamResponse.pause();
            out.drainHandler(v -> {
                if (!finished) {
                    upstreamResponse.resume();
                }
            });
        }
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
        write(event);
    }

    private void translate(Buffer event, int flags) {
        if ((flags & ChunkInspector.DONE) != 0) {
            return;
        }
        String data = ChunkInspector.data(event);
        JsonNode root;
        try {
            root = data == null ? null : svc.mapper.readTree(data);
        } catch (Exception e) {
            root = null;
        }
        if (!(root instanceof ObjectNode chunk)) {
            return;
        }
        if (chunk.get("usage") instanceof ObjectNode usage) {
            meter.usage(usage);
            meter.addServerMetrics(usage); // the translator carries them into its own usage object
            lastUsage = usage;
        }
        Buffer translated = translator.chunk(chunk);
        if (translated.length() > 0) {
            write(translated);
        }
    }

    private void onUsageEvent(Buffer event) {
        String data = ChunkInspector.data(event);
        JsonNode root;
        try {
            root = data == null ? null : svc.mapper.readTree(data);
        } catch (Exception e) {
            root = null;
        }
        if (!(root instanceof ObjectNode chunk) || !(chunk.get("usage") instanceof ObjectNode usage)) {
            write(event);
            return;
        }
        meter.usage(usage);
        JsonNode choices = chunk.get("choices");
        boolean hasChoices = choices != null && choices.isArray() && !choices.isEmpty();
        if (call.clientWantsUsage()) {
            meter.addServerMetrics(usage);
            write(Buffer.buffer("data: " + chunk + "\n\n"));
        } else if (hasChoices) {
            chunk.remove("usage");
            write(Buffer.buffer("data: " + chunk + "\n\n"));
        }
    }

    private void onUpstreamEnd() {
        if (finished) {
            return;
        }
        Buffer rest = splitter.remainder();
        if (translator != null) {
            write(translator.end(lastUsage));
        } else if (rest != null && rest.length() > 0) {
            write(rest);
        }
        meter.upstreamEnded();
        upstreamDone = true;
        cancelTimer(); // no idle or first-token timeout once the upstream is done
        String status = upstreamErrorEvent ? UsageEvent.ERROR : UsageEvent.OK;
        String errorType = upstreamErrorEvent ? "upstream_error_event" : null;
        // the call ends when its last byte is written to the client (usage as the client saw it)
        out.end().onComplete(ar -> {
            if (ar.succeeded()) {
                finish(status, errorType);
            } else {
                finish(UsageEvent.CLIENT_DISCONNECTED, "client_disconnected");
            }
        });
    }

    private void onStreamFailure(Throwable cause) {
        if (finished || upstreamClosedByProxy) {
            return;
        }
        svc.metrics.upstreamError(model.name(), "stream_broken");
        Log.warnf("[%s] upstream %s failed mid-stream after %d content event(s): %s", call.correlationId(), endpointUrl,
                meter.contentEvents(), cause.toString());
        endWithError(ApiError.badGateway("upstream connection lost: " + cause.getMessage(), "upstream_disconnected"),
                "upstream_disconnected");
    }

    private void onFirstTokenTimeout() {
        if (finished) {
            return;
        }
        svc.metrics.upstreamError(model.name(), "timeout");
        if (!clientBytesSent && upstreamResponse == null) {
            svc.balancer.failure(endpointUrl);
        }
        endWithError(ApiError.gatewayTimeout("model '" + model.name() + "' did not answer within "
                + (call.clientStream() ? svc.config.upstream().firstTokenTimeout()
                        : svc.config.upstream().responseTimeout())),
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
        svc.metrics.upstreamError(model.name(), "idle_timeout");
        endWithError(ApiError.gatewayTimeout("model '" + model.name() + "' sent nothing for "
                + svc.config.upstream().idleTimeout()), "upstream_idle_timeout");
    }

    /**
     * Ends the call with an error: JSON if nothing reached the client yet, else an SSE error event after the partial output.
     */
    private void endWithError(ApiError error, String errorType) {
        resetUpstream();
        if (!clientBytesSent) {
            sendError(error);
        } else {
            out.end(errorEvent(error));
        }
        finish(UsageEvent.ERROR, errorType);
    }

    private Buffer errorEvent(ApiError error) {
        return translator != null ? translator.error(error)
                : Buffer.buffer(ERROR_EVENT_PREFIX + error.toJson() + "\n\n");
    }

    private void onClientClosed() {
        if (finished) {
            return;
        }
        if (upstreamDone) {
            // the answer was complete, but the client left before all of it was written to it
            Log.infof("[%s] client went away after %d of the answer's bytes", call.correlationId(), bytesDelivered);
            finish(UsageEvent.CLIENT_DISCONNECTED, "client_disconnected");
            return;
        }
        Log.infof("[%s] client went away after %d content event(s); closing upstream", call.correlationId(),
                meter.contentEvents());
        finish(svc.shuttingDown() ? UsageEvent.INTERRUPTED : UsageEvent.CANCELLED,
                svc.shuttingDown() ? "server_shutting_down" : null);
        resetUpstream();
    }

    // ---- non-streaming ----------------------------------------------------------------------------------------

    private void onNonStreamBody(HttpClientResponse response, Buffer body) {
        meter.wholeAnswer();
        JsonNode root;
        try {
            root = svc.mapper.readTree(body.getBytes());
        } catch (Exception e) {
            root = null;
        }
        out.setStatusCode(response.statusCode());
        out.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        Buffer answer;
        if (root instanceof ObjectNode object && object.get("usage") instanceof ObjectNode usage) {
            meter.counts(usage);
            meter.addServerMetrics(usage);
            answer = Buffer.buffer(translator != null ? translator.response(object).toString() : object.toString());
        } else {
            answer = body;
        }
        clientBytesSent = true;
        bodyStarted = true;
        upstreamDone = true;
        // a large answer goes out in slices, so what the client's connection accepted before it left is known
        int length = answer.length();
        int sent = 0;
        if (length > NON_STREAM_SLICE) {
            out.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(length));
            for (; sent + NON_STREAM_SLICE < length; sent += NON_STREAM_SLICE) {
                send(answer.slice(sent, sent + NON_STREAM_SLICE));
            }
        }
        int last = length - sent;
        out.end(sent == 0 ? answer : answer.slice(sent, length)).onComplete(ar -> {
            if (ar.succeeded()) {
                bytesDelivered += last;
                finish(UsageEvent.OK, null);
            } else {
                finish(UsageEvent.CLIENT_DISCONNECTED, "client_disconnected");
            }
        });
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /**
     * Writes to the client; while one upstream chunk is being split, its events are gathered and written (and flushed)
     * once at the end of the chunk instead of once per event.
     */
    private void write(Buffer data) {
        clientBytesSent = true;
        if (!batching) {
            flushBatch();
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

    private void flushBatch() {
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

    private void failBeforeFirstByte(ApiError error, String errorType) {
        cancelTimer();
        if (!clientBytesSent) {
            sendError(error);
        } else {
            out.end(errorEvent(error));
        }
        finish(UsageEvent.ERROR, errorType);
    }

    private void sendError(ApiError error) {
        if (out.ended() || out.closed()) {
            return;
        }
        out.setChunked(false);
        out.headers().remove(HttpHeaders.CACHE_CONTROL).remove("X-Accel-Buffering");
        out.setStatusCode(error.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(translator != null ? translator.errorBody(error) : error.toJson());
    }

    private void resetUpstream() {
        cancelTimer();
        upstreamClosedByProxy = true;
        if (upstreamRequest != null) {
            upstreamRequest.reset();
        }
    }

    private void finish(String status, String errorType) {
        if (finished) {
            return;
        }
        finished = true;
        cancelTimer();
        if (durationTimer >= 0) {
            svc.vertx.cancelTimer(durationTimer);
            durationTimer = -1;
        }
        releaseEndpoint();
        if (streamOpen) {
            streamOpen = false;
            svc.metrics.streamClosed();
        }
        svc.closed(this);
        // latency as the client saw it: until now, when its last byte was written (or it left)
        CallMeter.Summary m = meter.summary(status);
        svc.metrics.call(model.name(), call.kind().usageName(), status, m.durationNanos(), m.promptTokens(),
                m.completionTokens());
        svc.limits.tokensUsed(call.caller(), call.apiKeyId(), (long) m.promptTokens() + m.completionTokens());
        svc.recorder.record(usageEvent(status, errorType, m.ttftMs(), m.latencyMs(), m.tokensPerSecond(),
                m.promptTokens(), m.completionTokens(), bodyStarted ? bytesDelivered : null), true, ticket);
    }

    private UsageEvent usageEvent(String status, String errorType, Double ttftMs, Double latencyMs, Double tps,
            int prompt, int completion, Long delivered) {
        return new UsageEvent(call.requestId(), call.startedAt().toString(), call.caller().name(),
                call.caller().recordedSubject().orElse(null), null, call.apiKeyId(),
                model.name(), model.engineType(), model.deployment(), call.kind().usageName(), call.clientStream(),
                prompt, completion, ttftMs, latencyMs, tps, status, errorType, call.correlationId(), call.metadata(),
                call.source(), call.attachments(), delivered);
    }

    private void releaseEndpoint() {
        if (endpointUrl != null) {
            svc.balancer.release(endpointUrl);
            endpointUrl = null;
        }
    }

    /** Always called on the call's event loop, so the timer fires there too. */
    private void armTimer(long millis, Runnable action) {
        cancelTimer();
        timer = svc.vertx.setTimer(Math.max(1, millis), id -> {
            if (timer == id) {
                timer = -1;
                action.run();
            }
        });
    }

    private void cancelTimer() {
        if (timer >= 0) {
            svc.vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    static String upstreamUri(String base, EndpointKind kind) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        String path = kind.upstreamPath();
        if (b.endsWith("/v1")) {
            path = path.substring(3);
        }
        return b + path;
    }

    private boolean looksLikeOpenAiError(Buffer payload) {
        try {
            JsonNode node = svc.mapper.readTree(payload.getBytes());
            return node != null && node.has("error");
        } catch (Exception e) {
            return false;
        }
    }

    private String upstreamMessage(Buffer payload) {
        String text = payload.toString(StandardCharsets.UTF_8);
        try {
            JsonNode node = svc.mapper.readTree(text);
            JsonNode message = node.path("error").path("message");
            if (message.isTextual()) {
                return message.asText();
            }
            if (node.path("message").isTextual()) {
                return node.path("message").asText();
            }
        } catch (Exception e) {
            // not JSON
        }
        return text.length() > 200 ? text.substring(0, 200) : text;
    }
}
