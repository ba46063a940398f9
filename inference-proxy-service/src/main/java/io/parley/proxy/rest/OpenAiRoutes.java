package io.parley.proxy.rest;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.contracts.EndpointKind;
import io.parley.contracts.UsageEvent;
import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.limits.CallLimits;
import io.parley.proxy.limits.OutputTokenCap;
import io.parley.proxy.security.ApiKeyIdentityProvider;
import io.parley.proxy.security.Callers;
import io.parley.proxy.security.OidcReadiness;
import io.parley.proxy.service.AttachmentAudit;
import io.parley.proxy.service.Caller;
import io.parley.proxy.service.ModelCatalog;
import io.parley.proxy.service.PromptTokenEstimate;
import io.parley.proxy.service.RequestOverrides;
import io.parley.proxy.service.ServiceError;
import io.parley.proxy.service.TextHygiene;
import io.parley.proxy.stream.CallEnvelope;
import io.parley.proxy.stream.CallOutcomes;
import io.parley.proxy.stream.RelayRequest;
import io.parley.proxy.stream.RelayService;
import io.parley.proxy.stream.ShutdownDrain;
import io.parley.proxy.translate.MessagesTranslation;
import io.parley.proxy.translate.OpenAiToAnthropicTranslator;
import io.parley.proxy.translate.ResponsesTranslation;
import io.parley.proxy.translate.Translation;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The OpenAI-compatible relay endpoints as plain Vert.x routes, so that nothing between the upstream socket and the
 * client socket buffers. The routes only parse, authorize and resolve the model; {@link RelayService} does the relay.
 */
@ApplicationScoped
public class OpenAiRoutes {

    static final String START_NANOS = "parley.start-nanos";
    static final String START_INSTANT = "parley.start-instant";
    public static final String CORRELATION_HEADER = io.parley.contracts.Envelope.CORRELATION_HEADER;
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    private static final int INLINE_PARSE_LIMIT = 256 * 1024;

    private final ModelCatalog catalog;
    private final RelayService relay;
    private final CallOutcomes outcomes;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    private final long maxRequestBytes;
    private final long maxAttachmentBytes;
    private final int maxOutputTokens;
    private final ShutdownDrain drain;
    private final OidcReadiness oidc;
    private final Callers callers;
    private final CallLimits limits;

    OpenAiRoutes(ModelCatalog catalog, RelayService relay, CallOutcomes outcomes, ObjectMapper mapper, Vertx vertx,
            ProxyConfig config, ShutdownDrain drain, OidcReadiness oidc, Callers callers, CallLimits limits) {
        this.outcomes = outcomes;
        this.callers = callers;
        this.drain = drain;
        this.limits = limits;
        this.oidc = oidc;
        this.catalog = catalog;
        this.relay = relay;
        this.mapper = mapper;
        this.vertx = vertx;
        this.maxRequestBytes = config.limits().maxRequestBytes();
        this.maxAttachmentBytes = config.limits().maxAttachmentBytes();
        this.maxOutputTokens = config.limits().maxOutputTokens();
    }

    void register(@Observes Router router) {
        router.route().failureHandler(this::onFailure);
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxRequestBytes).setHandleFileUploads(false);
        for (EndpointKind kind : EndpointKind.values()) {
            router.post(kind.path()).handler(this::startClock);
            router.post(kind.path()).handler(body).handler(rc -> handle(rc, kind));
        }
        router.get("/v1/models").handler(this::models);
    }

    private void startClock(RoutingContext rc) {
        if (drain.refusing()) {
            // stopping: this replica takes no new call (its readiness is DOWN already); the client retries elsewhere
            rc.response().putHeader(HttpHeaders.CONNECTION, "close").putHeader(HttpHeaders.RETRY_AFTER, "1");
            send(rc, ServiceError.shuttingDown());
            return;
        }
        rc.put(START_NANOS, System.nanoTime());
        rc.put(START_INSTANT, Instant.now());
        rc.next();
    }

    /** Errors raised before a route answers: invalid credentials (proactive authentication) and oversize bodies. */
    private void onFailure(RoutingContext rc) {
        Throwable failure = rc.failure();
        if (rc.response().headWritten()) {
            rc.next();
            return;
        }
        ServiceError unavailable = unavailable(failure, oidc.ready());
        if (unavailable != null) {
            rc.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
            send(rc, unavailable);
        } else if (failure instanceof AuthenticationFailedException) {
            send(rc, ServiceError.unauthorized("invalid or expired credentials"));
        } else if (rc.statusCode() == 413) {
            send(rc, ServiceError.tooLarge(maxRequestBytes));
        } else if (rc.statusCode() == 400 && rc.request().path().startsWith("/v1/")) {
            send(rc, ServiceError.badRequest("malformed request", null, null));
        } else {
            rc.next();
        }
    }

    /**
     * A failure caused by a dependency being down rather than by the caller: the database (API keys) or the OIDC
     * provider (its keys not loaded, so no token can be verified). 503, retryable; null for anything else.
     */
    static ServiceError unavailable(Throwable failure, boolean oidcReady) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLException) {
                return ServiceError.unavailable("the proxy's database is unavailable; retry later", "database_unavailable");
            }
        }
        if (failure != null && !oidcReady) {
            return ServiceError.unavailable("the identity provider is unreachable, so tokens cannot be verified; retry later",
                    "auth_unavailable");
        }
        return null;
    }

    private void handle(RoutingContext rc, EndpointKind kind) {
        long startNanos = rc.get(START_NANOS);
        Instant startedAt = rc.get(START_INSTANT);
        String correlationId = headerOr(rc, CORRELATION_HEADER, UUID.randomUUID().toString());
        String requestId = UUID.randomUUID().toString();
        rc.response().putHeader(CORRELATION_HEADER, correlationId).putHeader(REQUEST_ID_HEADER, requestId);

        SecurityIdentity identity = identity(rc);
        if (identity == null) {
            send(rc, ServiceError.unauthorized("a bearer token or Parley API key is required"));
            return;
        }
        Caller userId;
        try {
            userId = callers.of(identity);
        } catch (UnauthorizedException e) {
            send(rc, ServiceError.unauthorized(e.getMessage()));
            return;
        }
        String apiKeyId = identity.getAttribute(ApiKeyIdentityProvider.API_KEY_ID);
        ServiceError limited = limits.admit(rc, userId, apiKeyId);
        if (limited != null) {
            send(rc, limited);
            return;
        }

        RequestOverrides overrides = null;
        String overridesHeader = rc.request().getHeader(RequestOverrides.HEADER);
        if (overridesHeader != null) {
            try {
                overrides = overrides(rc, overridesHeader);
            } catch (ServiceError e) {
                send(rc, e);
                return;
            }
        }
        RequestOverrides callOverrides = overrides;
        CallEnvelope call = new CallEnvelope(requestId, correlationId, userId, apiKeyId, kind, startNanos, startedAt);
        Buffer body = rc.body().buffer();
        Context context = vertx.getOrCreateContext();
        if (body != null && body.length() > INLINE_PARSE_LIMIT) {
            // large (multimodal) bodies are parsed, audited and re-encoded on a worker thread
            vertx.executeBlocking(() -> prepare(body, kind, callOverrides), false).onComplete(ar -> context.runOnContext(
                    v -> route(rc, call, ar.succeeded() ? ar.result() : failed(ar.cause()), context)));
        } else {
            Prepared prepared;
            try {
                prepared = prepare(body, kind, callOverrides);
            } catch (Exception e) {
                prepared = failed(e);
            }
            route(rc, call, prepared, context);
        }
    }

    /** A parsed request: what goes upstream plus the envelope the proxy keeps; or the error that stopped it. */
    record Prepared(ServiceError error, String model, boolean stream, boolean wantsUsage, Map<String, String> metadata,
            Buffer upstreamBody, List<UsageEvent.Attachment> attachments, int promptTokensEstimate) {
    }

    private static Prepared failed(Throwable e) {
        ServiceError error = e instanceof ServiceError api ? api
                : ServiceError.badRequest("could not parse the JSON body of your request", null, "invalid_json");
        return new Prepared(error, null, false, false, Map.of(), null, List.of(), 0);
    }

    /** Parses {@code X-Parley-Overrides} and names the keys in {@code X-Parley-Overrides-Applied}. */
    private static RequestOverrides overrides(RoutingContext rc, String header) {
        RequestOverrides overrides = RequestOverrides.parse(header);
        if (!overrides.isEmpty()) {
            rc.response().putHeader(RequestOverrides.APPLIED_HEADER, overrides.appliedKeys());
        }
        return overrides;
    }

    private Prepared prepare(Buffer body, EndpointKind kind, RequestOverrides overrides) throws Exception {
        JsonNode parsed;
        byte[] bytes = body == null ? new byte[0] : body.getBytes();
        // strict UTF-8 before Jackson, which would decode an overlong C0 80 to U+0000
        rejectUnclean(TextHygiene.check(bytes, null));
        try {
            parsed = bytes.length == 0 ? null : mapper.readTree(bytes);
        } catch (Exception e) {
            throw ServiceError.badRequest("could not parse the JSON body of your request", null, "invalid_json");
        }
        if (!(parsed instanceof ObjectNode object)) {
            throw ServiceError.badRequest("the request body must be a JSON object", null, "invalid_json");
        }
        // no NUL reaches the upstream, the usage record (jsonb) or a log line
        rejectUnclean(TextHygiene.firstNul(object, ""));
        Optional<Translation> translation = translation(kind);
        ObjectNode request = translation.isPresent() ? translation.get().request(object) : object;
        Map<String, String> metadata = metadata(request.get("metadata"));
        boolean stream = request.path("stream").asBoolean(false);
        JsonNode modelNode = request.get("model");
        if (modelNode == null || !modelNode.isTextual() || modelNode.asText().isBlank()) {
            return new Prepared(ServiceError.badRequest("you must provide a model parameter", "model",
                    "missing_required_parameter"), null, stream, false, metadata, null, List.of(), 0);
        }
        boolean wantsUsage = stream && request.path("stream_options").path("include_usage").asBoolean(false);
        List<UsageEvent.Attachment> attachments = AttachmentAudit.of(request);
        long attachmentBytes = attachments.stream().mapToLong(UsageEvent.Attachment::sizeBytes).sum();
        if (attachmentBytes > maxAttachmentBytes) {
            throw ServiceError.attachmentsTooLarge(attachmentBytes, maxAttachmentBytes);
        }

        // What the upstream gets: the client's request, minus the proxy's envelope, always asking for usage.
        request.remove("metadata");
        if (stream) {
            JsonNode options = request.get("stream_options");
            ObjectNode streamOptions = options instanceof ObjectNode o ? o : request.putObject("stream_options");
            streamOptions.put("include_usage", true);
        } else {
            request.remove("stream_options");
        }
        if (overrides != null) {
            overrides.applyTo(request);
        }
        int promptEstimate = PromptTokenEstimate.of(request);
        OutputTokenCap.apply(kind, request, catalog.lookup(modelNode.asText()), promptEstimate, maxOutputTokens);
        return new Prepared(null, modelNode.asText(), stream, wantsUsage, metadata,
                Buffer.buffer(mapper.writeValueAsBytes(request)), attachments, promptEstimate);
    }

    private static void rejectUnclean(TextHygiene.Finding finding) {
        if (finding != null) {
            throw ServiceError.badRequest((finding.path() == null ? "the request body" : finding.path()) + " "
                    + finding.reason(), finding.path(), "invalid_text");
        }
    }

    private void route(RoutingContext rc, CallEnvelope call, Prepared p, Context context) {
        if (p.error() != null) {
            if (p.error().kind() == ServiceError.Kind.INVALID_REQUEST && "model".equals(p.error().param())) {
                outcomes.rejected(call, p.metadata(), p.metadata().get("source"), p.stream(), null,
                        "invalid_request_error");
            }
            send(rc, p.error());
            return;
        }
        RelayRequest request = new RelayRequest(call, p.model(), p.stream(), p.wantsUsage(), p.metadata(),
                p.metadata().get("source"), p.upstreamBody(), p.attachments(), p.promptTokensEstimate(),
                translation(call.kind()));
        ModelCatalog.Resolution known = catalog.lookup(request.model());
        if (known instanceof ModelCatalog.Ready) {
            // the common case: relay at once on this event loop, without a Uni subscription and an event-loop re-queue
            resolved(rc, request, known);
            return;
        }
        catalog.resolve(request.model()).subscribe().with(
                resolution -> context.runOnContext(v -> resolved(rc, request, resolution)),
                failure -> context.runOnContext(v -> send(rc, ServiceError.unavailable(
                        "model lookup failed: the model registry is unreachable; retry later", "registry_unavailable"))));
    }

    private void resolved(RoutingContext rc, RelayRequest request, ModelCatalog.Resolution resolution) {
        String modelName = request.model();
        if (rc.response().closed() || rc.response().ended()) {
            return;
        }
        if (resolution instanceof ModelCatalog.Ready ready) {
            relay.relay(rc, request, ready.model());
        } else if (resolution instanceof ModelCatalog.NotReady notReady) {
            rejected(request, "model_not_ready");
            send(rc, ServiceError.modelNotReady(notReady.reason()));
        } else if (!catalog.registryReachable()) {
            // not in the cached view and the registry cannot be asked: the model may well exist
            rejected(request, "registry_unavailable");
            rc.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
            send(rc, ServiceError.unavailable("model '" + modelName + "' is not in the proxy's cached view and the model"
                    + " registry is unreachable; retry later", "registry_unavailable"));
        } else {
            rejected(request, "model_not_found");
            send(rc, ServiceError.modelNotFound(modelName));
        }
    }

    private void rejected(RelayRequest request, String errorType) {
        outcomes.rejected(request.envelope(), request.metadata(), request.source(), request.clientStream(),
                request.model(), errorType);
    }

    /** {@code GET /v1/models}: the running models in OpenAI's list shape. */
    private void models(RoutingContext rc) {
        if (identity(rc) == null) {
            send(rc, ServiceError.unauthorized("a bearer token or Parley API key is required"));
            return;
        }
        ObjectNode root = mapper.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (RegistryModel m : catalog.running()) {
            ObjectNode model = data.addObject();
            model.put("id", m.name());
            model.put("object", "model");
            model.put("created", 0);
            model.put("owned_by", m.deployment() == null ? "parley" : m.deployment());
            if (m.maxModelLen() != null) {
                model.put("max_model_len", m.maxModelLen());
            }
        }
        rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(root.toString());
    }

    static SecurityIdentity identity(RoutingContext rc) {
        if (rc.user() instanceof QuarkusHttpUser user) {
            SecurityIdentity identity = user.getSecurityIdentity();
            if (identity != null && !identity.isAnonymous()) {
                return identity;
            }
        }
        return null;
    }

    /** The API pair a client of {@code kind} is translated by; empty for the upstream's own APIs. */
    private static Optional<Translation> translation(EndpointKind kind) {
        return switch (kind) {
            case MESSAGES -> Optional.of(MessagesTranslation.INSTANCE);
            case RESPONSES -> Optional.of(ResponsesTranslation.INSTANCE);
            default -> Optional.empty();
        };
    }

    /** Answers an error in the shape of the API the client speaks (Anthropic's on {@code /v1/messages}). */
    static void send(RoutingContext rc, ServiceError error) {
        if (rc.response().ended() || rc.response().closed()) {
            return;
        }
        String body = EndpointKind.MESSAGES.path().equals(rc.request().path())
                ? new OpenAiToAnthropicTranslator(null).errorBody(error)
                : error.toJson();
        rc.response().setStatusCode(HttpErrors.status(error)).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
    }

    private static String headerOr(RoutingContext rc, String name, String fallback) {
        String value = rc.request().getHeader(name);
        return value == null || value.isBlank() || value.length() > 200 ? fallback : value;
    }

    private static Map<String, String> metadata(JsonNode node) {
        Map<String, String> result = new LinkedHashMap<>();
        if (node instanceof ObjectNode object) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (f.getValue().isValueNode() && !f.getValue().isNull()) {
                    result.put(f.getKey(), f.getValue().asText());
                }
            }
        }
        return result;
    }
}
