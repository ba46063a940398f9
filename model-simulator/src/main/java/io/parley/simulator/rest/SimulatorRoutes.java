package io.parley.simulator.rest;

import java.io.IOException;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.parley.simulator.api.ErrorResponse;
import io.parley.simulator.config.SimulatorConfig;
import io.parley.simulator.metrics.SimulatorMetrics;
import io.parley.simulator.service.Endpoint;
import io.parley.simulator.service.GenerationRequest;
import io.parley.simulator.service.Plan;
import io.parley.simulator.service.RequestParser;
import io.parley.simulator.service.SimulationService;
import io.parley.simulator.service.SimulatorException;
import io.parley.simulator.stream.Exchange;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The vLLM-compatible HTTP surface, as raw Vert.x routes running on the event loop: {@code GET /v1/models},
 * {@code GET /health}, {@code /ping}, {@code GET /version}, {@code GET /metrics}, {@code POST /v1/chat/completions} and
 * {@code POST /v1/completions}. Handlers only parse, delegate and map.
 */
@ApplicationScoped
public class SimulatorRoutes {

    private final SimulatorConfig config;
    private final SimulationService service;
    private final SimulatorMetrics metrics;
    private final PrometheusMeterRegistry prometheus;
    private final ObjectMapper mapper;
    private final Vertx vertx;

    public SimulatorRoutes(SimulatorConfig config, SimulationService service, SimulatorMetrics metrics,
            PrometheusMeterRegistry prometheus, ObjectMapper mapper, Vertx vertx) {
        this.config = config;
        this.service = service;
        this.metrics = metrics;
        this.prometheus = prometheus;
        this.mapper = mapper;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) {
        config.models().forEach((name, model) -> Log.infof(
                "Simulating model %s: output=%s max_model_len=%d ttft=%dms itl=%dms failure=%s", name,
                model.output().name().toLowerCase(), model.maxModelLen(), model.ttft().toMillis(),
                model.interTokenLatency().toMillis(), model.failure().name().toLowerCase().replace('_', '-')));
    }

    void routes(@Observes Router router) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());
        router.get("/health").handler(ctx -> ctx.response().setStatusCode(200).end());
        router.route("/ping").handler(ctx -> ctx.response().setStatusCode(200).end());
        router.get("/version").handler(ctx -> json(ctx, 200, Map.of("version", "simulator")));
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(prometheus.scrape()));
        router.get("/v1/models").handler(ctx -> json(ctx, 200, service.models()));
        router.post("/v1/chat/completions").handler(body).handler(ctx -> generate(ctx, Endpoint.CHAT_COMPLETIONS))
                .failureHandler(this::failure);
        router.post("/v1/completions").handler(body).handler(ctx -> generate(ctx, Endpoint.COMPLETIONS))
                .failureHandler(this::failure);
    }

    private void generate(RoutingContext ctx, Endpoint endpoint) {
        String correlationId = correlationId(ctx);
        Plan plan;
        try {
            JsonNode json = readJson(ctx);
            GenerationRequest request = RequestParser.parse(endpoint, json);
            plan = service.plan(request, name -> ctx.request().getHeader(name));
        } catch (SimulatorException e) {
            Log.debugf("[%s] %s refused (%d): %s", correlationId, endpoint.tag(), e.status(), e.getMessage());
            json(ctx, e.status(), e.body());
            return;
        }
        GenerationRequest request = plan.request();
        metrics.request(request.model(), endpoint.tag(), request.stream());
        Log.debugf("[%s] %s %s model=%s stream=%s prompt_tokens=%d", correlationId, plan.id(), endpoint.tag(),
                request.model(), request.stream(), request.promptTokens());
        new Exchange(vertx, ctx.response(), plan, metrics, mapper, correlationId).start();
    }

    private JsonNode readJson(RoutingContext ctx) {
        if (ctx.body().isEmpty()) {
            throw SimulatorException.badRequest("The request body must be a JSON object.");
        }
        try {
            // read in place (no copy of a body of up to 200 MiB), the attachments' base64 dropped first
            io.netty.buffer.ByteBuf buf = ctx.body().buffer().getByteBuf();
            if (!buf.hasArray()) {
                return mapper.readTree(LeanJson.withoutPayloads(ctx.body().buffer().getBytes()));
            }
            int from = buf.arrayOffset() + buf.readerIndex();
            int to = from + buf.readableBytes();
            byte[] lean = LeanJson.withoutPayloads(buf.array(), from, to);
            return lean != null ? mapper.readTree(lean) : mapper.readTree(buf.array(), from, to - from);
        } catch (JsonProcessingException e) {
            throw SimulatorException.badRequest("Invalid JSON in the request body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw SimulatorException.badRequest("Unreadable request body.");
        }
    }

    private void failure(RoutingContext ctx) {
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        String message = status == 413 ? "Request body too large." : "Internal server error.";
        String type = status == 413 ? "RequestEntityTooLarge" : "InternalServerError";
        if (ctx.failure() != null) {
            Log.warnf(ctx.failure(), "[%s] request failed", correlationId(ctx));
        }
        json(ctx, status, ErrorResponse.of(message, type, null, status));
    }

    private void json(RoutingContext ctx, int status, Object body) {
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(mapper.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            ctx.fail(e);
        }
    }

    private static String correlationId(RoutingContext ctx) {
        String id = ctx.request().getHeader("X-Correlation-Id");
        if (id == null) {
            id = ctx.request().getHeader("X-Request-Id");
        }
        return id == null ? "-" : id;
    }
}
