package io.parley.proxy.stream;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.client.RegistryModel.Endpoint;
import io.parley.proxy.metrics.ProxyMetrics;
import io.parley.proxy.service.EndpointBalancer;
import io.parley.proxy.service.ServiceError;
import io.parley.proxy.service.UpstreamCredentials;
import io.quarkus.logging.Log;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * The upstream side of one call: picks an endpoint of the model, connects, sends the request, and hands the call the
 * first answer below 500. A connect failure or a 5xx answer, before the first upstream byte of the answer, is retried
 * on another endpoint ({@link #failedAttempt}, the one retry path) up to {@code upstream.max-attempts}; an endpoint
 * whose API key is not available is passed over without being counted. Runs on the call's event loop.
 */
final class UpstreamAttempt {

    /** What the call hears from its upstream side. */
    interface Listener {

        /** A request is about to go to an endpoint: the first-token (or response) timer starts. */
        void connecting();

        /** An endpoint answered with a status below 500: the call is committed to it. */
        void answered(HttpClientResponse response);

        /** No endpoint answered: the error for the client and the error type of the usage. */
        void failed(ServiceError error, String errorType);
    }

    private final UpstreamConnector connector;
    private final EndpointBalancer balancer;
    private final UpstreamCredentials credentials;
    private final ProxyMetrics metrics;
    private final UpstreamErrors errors;
    private final int maxAttempts;
    private final RelayRequest request;
    private final RegistryModel model;
    private final Listener listener;
    private final Set<String> tried = new HashSet<>(4);

    private String endpointUrl;
    private HttpClientRequest upstreamRequest;
    private HttpClientResponse response;
    private int attempts;
    /** An endpoint was passed over because its API key is not available (UpstreamCredentials). */
    private boolean keyUnavailable;
    /** The call is over or closed the upstream itself: later callbacks are ignored. */
    private boolean stopped;

    UpstreamAttempt(UpstreamConnector connector, EndpointBalancer balancer, UpstreamCredentials credentials,
            ProxyMetrics metrics, UpstreamErrors errors, int maxAttempts, RelayRequest request, RegistryModel model,
            Listener listener) {
        this.connector = connector;
        this.balancer = balancer;
        this.credentials = credentials;
        this.metrics = metrics;
        this.errors = errors;
        this.maxAttempts = maxAttempts;
        this.request = request;
        this.model = model;
        this.listener = listener;
    }

    /** Connects to the first endpoint the balancer picks. */
    void start() {
        Optional<Endpoint> picked = balancer.pick(model.endpoints(), tried);
        if (picked.isEmpty() && attempts == 0 && keyUnavailable) {
            // every endpoint left needs an API key the proxy does not have (the reason is in the proxy's log)
            listener.failed(ServiceError.unavailable("the upstream of model '" + model.name() + "' needs an API key"
                    + " that is not available to the proxy; an admin finds the reason in the proxy's log",
                    "upstream_credential_unavailable"), "upstream_credential_unavailable");
            return;
        }
        if (picked.isEmpty()) {
            listener.failed(ServiceError.badGateway("no reachable endpoint for model '" + model.name() + "'",
                    "upstream_unavailable"), "upstream_unavailable");
            return;
        }
        Endpoint endpoint = picked.get();
        UpstreamCredentials.Lookup credential = credentials.lookup(endpoint.credentialRef());
        if (credential.unavailable().isPresent()) {
            // not sent without its key: try another endpoint of the model
            tried.add(endpoint.url());
            keyUnavailable = true;
            start();
            return;
        }
        endpointUrl = endpoint.url();
        tried.add(endpointUrl);
        attempts++;
        balancer.acquire(endpointUrl);

        RequestOptions options = connector.options(UpstreamConnector.upstreamUri(endpointUrl, request.kind()))
                .setMethod(HttpMethod.POST)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.ACCEPT, request.clientStream() ? "text/event-stream" : "application/json")
                .putHeader("X-Correlation-Id", request.correlationId())
                .putHeader("X-Request-Id", request.requestId());
        credential.key().ifPresent(key -> options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key));

        listener.connecting();
        connector.client().request(options).onComplete(ar -> {
            if (stopped) {
                if (ar.succeeded()) {
                    ar.result().reset();
                }
                return;
            }
            if (ar.failed()) {
                connectFailed(ar.cause());
                return;
            }
            upstreamRequest = ar.result();
            upstreamRequest.send(request.upstreamBody()).onComplete(rar -> {
                if (stopped) {
                    return;
                }
                if (rar.failed()) {
                    connectFailed(rar.cause());
                } else {
                    onResponse(rar.result());
                }
            });
        });
    }

    private void connectFailed(Throwable cause) {
        failedAttempt("connect", "failed (attempt " + attempts + "): " + cause,
                ServiceError.badGateway("upstream for model '" + model.name() + "' unavailable: " + cause.getMessage(),
                        "upstream_unavailable"),
                "upstream_unavailable");
    }

    private void onResponse(HttpClientResponse answer) {
        response = answer;
        int status = answer.statusCode();
        if (status < 500) {
            balancer.success(endpointUrl);
            listener.answered(answer);
            return;
        }
        answer.body().onComplete(body -> {
            if (stopped) {
                return;
            }
            String detail = body.succeeded() ? errors.message(body.result()) : null;
            failedAttempt("status_" + status, "answered " + status + " (attempt " + attempts + ")",
                    ServiceError.badGateway("upstream for model '" + model.name() + "' answered " + status
                            + (detail == null ? "" : ": " + detail), "upstream_error"),
                    "upstream_" + status);
        });
    }

    /**
     * The one retry path: the endpoint is marked failed and released; another endpoint is tried if attempts remain and
     * one is left, else the call fails with {@code error}.
     */
    private void failedAttempt(String reason, String what, ServiceError error, String errorType) {
        String failedUrl = endpointUrl;
        balancer.failure(failedUrl);
        release();
        metrics.upstreamError(model.name(), reason);
        Log.warnf("[%s] upstream %s %s", request.correlationId(), failedUrl, what);
        upstreamRequest = null;
        response = null;
        if (attempts < maxAttempts && balancer.pick(model.endpoints(), tried).isPresent()) {
            metrics.upstreamRetry(model.name(), reason);
            start();
            return;
        }
        listener.failed(error, errorType);
    }

    /** The first-token (or response) time ran out: an endpoint that has not answered yet counts as failed. */
    void timedOut() {
        if (response == null && endpointUrl != null) {
            balancer.failure(endpointUrl);
        }
    }

    /** The proxy closes the upstream (the client left, a limit, the shutdown): later callbacks are ignored. */
    void reset() {
        stopped = true;
        if (upstreamRequest != null) {
            upstreamRequest.reset();
        }
    }

    /** True once {@link #reset()} or {@link #done()} was called. */
    boolean stopped() {
        return stopped;
    }

    /** The call is over: the endpoint is released and later callbacks are ignored. */
    void done() {
        stopped = true;
        release();
    }

    /** The endpoint now answering, for log lines (null between attempts). */
    String endpointUrl() {
        return endpointUrl;
    }

    private void release() {
        if (endpointUrl != null) {
            balancer.release(endpointUrl);
            endpointUrl = null;
        }
    }
}
