package io.parley.simulator.stream;

import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.simulator.api.ErrorResponse;
import io.parley.simulator.api.Usage;
import io.parley.simulator.config.SimulatorConfig.FailureMode;
import io.parley.simulator.metrics.SimulatorMetrics;
import io.parley.simulator.service.Behaviour;
import io.parley.simulator.service.Plan;
import io.parley.simulator.token.Generation;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * One request being answered, paced by Vert.x timers on the connection's event loop (no thread ever sleeps). Streams
 * send the headers, the role chunk and the first token at TTFT, then one token per inter-token latency; every step is
 * scheduled against the request's start so that pacing does not drift. A client that goes away cancels the timer.
 * All methods run on the request's event loop.
 */
public final class Exchange {

    private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

    private final Vertx vertx;
    private final HttpServerResponse response;
    private final Plan plan;
    private final Behaviour behaviour;
    private final Generation generation;
    private final ChunkFormat format;
    private final SimulatorMetrics metrics;
    private final ObjectMapper mapper;
    private final String correlationId;
    private final String model;
    private final long startNanos = System.nanoTime();
    private long timerId = -1;
    private boolean done;
    private boolean streaming;
    private int countedTokens;
    /** Reasoning tokens sent so far (they come before the answer's first token). */
    private int reasoningSent;

    public Exchange(Vertx vertx, HttpServerResponse response, Plan plan, SimulatorMetrics metrics, ObjectMapper mapper,
            String correlationId) {
        this.vertx = vertx;
        this.response = response;
        this.plan = plan;
        this.behaviour = plan.behaviour();
        this.generation = plan.generation();
        this.format = new ChunkFormat(plan);
        this.metrics = metrics;
        this.mapper = mapper;
        this.correlationId = correlationId;
        this.model = plan.request().model();
    }

    /** Starts answering; returns at once. */
    public void start() {
        response.closeHandler(v -> onClientGone());
        if (behaviour.failure() == FailureMode.BEFORE_FIRST_BYTE) {
            metrics.injectedFailure(model, "before-first-byte");
            done = true;
            int status = behaviour.failureStatus();
            String type = status == 503 ? "ServiceUnavailableError" : "InternalServerError";
            writeJson(status, ErrorResponse.of("Simulated failure before the first byte.", type, null, status));
            return;
        }
        if (plan.request().stream()) {
            streaming = true;
            metrics.streamStarted();
            schedule(0);
        } else {
            startUnary();
        }
    }

    private void schedule(int step) {
        long due = startNanos + behaviour.ttft().toNanos() + step * behaviour.interTokenLatency().toNanos();
        long delayMs = TimeUnit.NANOSECONDS.toMillis(due - System.nanoTime());
        if (delayMs < 1) {
            if (response.writeQueueFull()) {
                response.drainHandler(v -> {
                    response.drainHandler(null);
                    tick(step);
                });
            } else {
                vertx.runOnContext(v -> tick(step));
            }
        } else {
            timerId = vertx.setTimer(delayMs, id -> tick(step));
        }
    }

    private void tick(int step) {
        timerId = -1;
        if (done) {
            return;
        }
        if (step == 0) {
            response.setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8");
            Object role = format.roleChunk();
            if (role != null) {
                writeEvent(role);
            }
        }
        if (step == behaviour.failureAfterTokens() && behaviour.failure() == FailureMode.MID_STREAM_ERROR) {
            metrics.injectedFailure(model, "mid-stream-error");
            writeEvent(ErrorResponse.of("Simulated failure after " + step + " tokens.", "InternalServerError", null,
                    500));
            end();
            return;
        }
        if (step == behaviour.failureAfterTokens() && behaviour.failure() == FailureMode.MID_STREAM_HANG) {
            metrics.injectedFailure(model, "mid-stream-hang");
            Log.debugf("[%s] %s: hanging after %d tokens until the client goes away", correlationId, plan.id(), step);
            return;
        }
        if (format.reasons() && reasoningSent < behaviour.reasoningTokens()) {
            writeEvent(format.reasoningChunk(ChunkFormat.reasoningToken(reasoningSent++)));
            metrics.tokens(model, 1);
            schedule(step + 1);
            return;
        }
        Generation.Step next = generation.step();
        countTokens();
        if (!next.delta().isEmpty() || next.finished()) {
            writeEvent(format.contentChunk(next.delta(), next.finishReason(), next.stopReason()));
        }
        if (next.finished()) {
            if (plan.request().includeUsage()) {
                writeEvent(format.usageChunk(usage()));
            }
            end();
        } else {
            schedule(step + 1);
        }
    }

    private void startUnary() {
        Generation.Step result = generation.runToEnd();
        int steps = Math.max(1, generation.generated());
        boolean fails = behaviour.failure() != FailureMode.NONE && behaviour.failureAfterTokens() < steps;
        int sentSteps = fails ? behaviour.failureAfterTokens() : steps - 1;
        long delayNanos = behaviour.ttft().toNanos() + sentSteps * behaviour.interTokenLatency().toNanos();
        long delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos));
        timerId = vertx.setTimer(delayMs, id -> {
            timerId = -1;
            if (done) {
                return;
            }
            if (fails && behaviour.failure() == FailureMode.MID_STREAM_HANG) {
                metrics.injectedFailure(model, "mid-stream-hang");
                return;
            }
            done = true;
            if (fails) {
                metrics.injectedFailure(model, "mid-stream-error");
                writeJson(500, ErrorResponse.of("Simulated failure after " + sentSteps + " tokens.",
                        "InternalServerError", null, 500));
                return;
            }
            countTokens();
            writeJson(200, format.full(result.delta(), result.finishReason(), result.stopReason(), usage()));
        });
    }

    private Usage usage() {
        return Usage.of(plan.request().promptTokens(), generation.generated(),
                format.reasons() ? behaviour.reasoningTokens() : 0);
    }

    private void countTokens() {
        int generated = generation.generated();
        metrics.tokens(model, generated - countedTokens);
        countedTokens = generated;
    }

    private void writeEvent(Object event) {
        response.write(Buffer.buffer("data: " + json(event) + "\n\n"));
    }

    private void end() {
        done = true;
        response.end(DONE);
        if (streaming) {
            metrics.streamEnded();
        }
    }

    private void writeJson(int status, Object body) {
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(json(body));
    }

    private void onClientGone() {
        if (done) {
            return;
        }
        done = true;
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
            timerId = -1;
        }
        if (streaming) {
            metrics.streamEnded();
        }
        metrics.clientDisconnect(model);
        Log.debugf("[%s] %s: client disconnected after %d tokens; generation stopped", correlationId, plan.id(),
                generation.generated());
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }
}
