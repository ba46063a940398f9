package io.parley.registry.probe;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.Endpoint;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.ext.web.client.HttpRequest;
import io.vertx.mutiny.ext.web.client.HttpResponse;
import io.vertx.mutiny.ext.web.client.WebClient;

/**
 * Probes one endpoint: {@code GET /health} (a 404 there is tolerated, many hosted APIs have none), then
 * {@code GET /v1/models} to learn which models it serves and their {@code max_model_len}. Bounded in time; never
 * fails, a failure is an outcome.
 */
@ApplicationScoped
public class EndpointProber {

    private final WebClient client;
    private final CredentialResolver credentials;
    private final Duration timeout;

    public EndpointProber(Vertx vertx, CredentialResolver credentials, RegistryConfig config) {
        this.credentials = credentials;
        this.timeout = config.health().timeout();
        int millis = (int) Math.max(1, timeout.toMillis());
        this.client = WebClient.create(vertx, new WebClientOptions()
                .setConnectTimeout(millis)
                .setIdleTimeout(millis)
                .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .setFollowRedirects(false)
                .setUserAgent("parley-model-registry"));
    }

    @PreDestroy
    void close() {
        client.close();
    }

    public Uni<ProbeOutcome> probe(Endpoint endpoint) {
        String base = endpoint.url();
        // a Secret is read from the API server: off the event loop
        return Uni.createFrom().item(() -> credentials.resolve(endpoint.credentialRef()))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(credential -> credential.unavailable().isPresent()
                        // the proxy would not call it without its key either: not served, and why
                        ? Uni.createFrom().item(ProbeOutcome.failed(base, "no API key: "
                                + credential.unavailable().get()))
                        : probe(base, credential.key()))
                .ifNoItem().after(timeout).failWith(TimeoutException::new)
                .onFailure().recoverWithItem(failure -> ProbeOutcome.failed(base, describe(failure)));
    }

    private Uni<ProbeOutcome> probe(String base, Optional<String> key) {
        return get(base + "/health", key)
                .chain(health -> {
                    int status = health.statusCode();
                    if (status != 404 && !success(status)) {
                        return Uni.createFrom().item(ProbeOutcome.failed(base, "GET /health answered " + status));
                    }
                    boolean healthEndpointOk = success(status);
                    return get(base + "/v1/models", key).map(models -> {
                        if (success(models.statusCode())) {
                            return ProbeOutcome.ok(base, parseModels(models));
                        }
                        if (healthEndpointOk && models.statusCode() == 404) {
                            return ProbeOutcome.ok(base, Optional.empty());
                        }
                        return ProbeOutcome.failed(base, "GET /v1/models answered " + models.statusCode());
                    });
                });
    }

    private Uni<HttpResponse<Buffer>> get(String absoluteUrl, Optional<String> key) {
        HttpRequest<Buffer> request = client.getAbs(absoluteUrl).timeout(Math.max(1, timeout.toMillis()));
        key.ifPresent(k -> request.bearerTokenAuthentication(k));
        return request.send();
    }

    private static boolean success(int status) {
        return status >= 200 && status < 300;
    }

    /** vLLM and OpenAI shape: {@code {"data":[{"id":"m","max_model_len":8192}, ...]}}. */
    static Optional<Map<String, Optional<Integer>>> parseModels(HttpResponse<Buffer> response) {
        try {
            JsonObject body = response.bodyAsJsonObject();
            JsonArray data = body == null ? null : body.getJsonArray("data");
            if (data == null) {
                return Optional.empty();
            }
            Map<String, Optional<Integer>> listed = new LinkedHashMap<>();
            for (int i = 0; i < data.size(); i++) {
                JsonObject model = data.getJsonObject(i);
                if (model != null && model.getString("id") != null) {
                    Object len = model.getValue("max_model_len");
                    listed.put(model.getString("id"),
                            len instanceof Number n ? Optional.of(n.intValue()) : Optional.empty());
                }
            }
            return Optional.of(Map.copyOf(listed));
        } catch (RuntimeException notJson) {
            return Optional.empty();
        }
    }

    /** A short error a person understands; never contains headers or credentials. */
    static String describe(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t && !(t instanceof ConnectException)) {
            t = t.getCause();
        }
        if (failure instanceof TimeoutException || t instanceof TimeoutException
                || String.valueOf(t.getMessage()).contains("timeout") && !(t instanceof ConnectException)) {
            return "timed out";
        }
        String message = String.valueOf(t.getMessage());
        if (t instanceof ConnectException || message.contains("Connection refused")) {
            return message.contains("Connection refused") ? "connection refused" : "cannot connect: " + message;
        }
        if (t instanceof UnknownHostException) {
            return "unknown host " + message;
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
