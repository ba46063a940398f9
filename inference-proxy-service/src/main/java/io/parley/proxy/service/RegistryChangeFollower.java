package io.parley.proxy.service;

import java.util.List;
import java.util.Optional;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.client.ServiceTokens;
import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.stream.ChunkInspector;
import io.parley.proxy.stream.SseEventSplitter;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Follows the registry's change stream ({@code GET /v1/models/changes}: SSE events {@code models} carrying
 * {@code {"revision":n,"models":[...as GET /v1/models...]}}) and replaces the model view with every event, so a model
 * becoming ready or unready reaches the proxy within the registry's own reaction time. Reconnects with backoff; while
 * disconnected the periodic refresh of {@link ModelCatalog} keeps the view current.
 */
@ApplicationScoped
public class RegistryChangeFollower {

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ModelsChanged(long revision, List<RegistryModel> models) {
    }

    private final Vertx vertx;
    private final ModelCatalog catalog;
    private final ServiceTokens tokens;
    private final ObjectMapper mapper;
    private final boolean enabled;
    private final long maxBackoffMs;
    private final String changesUri;
    private HttpClient client;
    private volatile boolean stopped;
    private long backoffMs = 250;
    private int generation;

    RegistryChangeFollower(Vertx vertx, ModelCatalog catalog, ServiceTokens tokens, ObjectMapper mapper,
            ProxyConfig config,
            // the registry's base URL is the REST client's, so both always talk to the same registry
            @ConfigProperty(name = "quarkus.rest-client.registry.url") String registryUrl) {
        this.vertx = vertx;
        this.catalog = catalog;
        this.tokens = tokens;
        this.mapper = mapper;
        this.enabled = config.registry().followChanges();
        this.maxBackoffMs = config.registry().changesMaxBackoff().toMillis();
        this.changesUri = (registryUrl.endsWith("/") ? registryUrl.substring(0, registryUrl.length() - 1) : registryUrl)
                + "/v1/models/changes";
    }

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setName("parley-registry-changes"));
        vertx.runOnContext(v -> connect());
    }

    @PreDestroy
    void stop() {
        stopped = true;
        if (client != null) {
            client.close();
        }
    }

    private void connect() {
        if (stopped) {
            return;
        }
        int gen = ++generation;
        tokens.accessToken().subscribe().with(token -> vertx.runOnContext(v -> open(gen, token)),
                e -> vertx.runOnContext(v -> reconnect(gen, e.toString())));
    }

    private void open(int gen, Optional<String> token) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(changesUri)
                .putHeader(HttpHeaders.ACCEPT, "text/event-stream");
        token.ifPresent(t -> options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + t));
        client.request(options).compose(req -> req.send()).onComplete(ar -> {
            if (ar.failed()) {
                reconnect(gen, ar.cause().toString());
            } else {
                follow(gen, ar.result());
            }
        });
    }

    private void follow(int gen, HttpClientResponse response) {
        if (response.statusCode() != 200) {
            response.body();
            reconnect(gen, "status " + response.statusCode());
            return;
        }
        Log.infof("following the registry change stream at %s", changesUri);
        backoffMs = 250;
        catalog.followingChanges(true);
        SseEventSplitter splitter = new SseEventSplitter();
        response.handler(chunk -> splitter.feed(chunk, this::onEvent));
        response.endHandler(v -> reconnect(gen, "stream ended"));
        response.exceptionHandler(e -> reconnect(gen, e.toString()));
    }

    private void onEvent(Buffer event) {
        String data = ChunkInspector.data(event);
        if (data == null || data.isBlank()) {
            return; // keep-alive comment
        }
        try {
            ModelsChanged change = mapper.readValue(data, ModelsChanged.class);
            if (change.models() != null) {
                catalog.applyChange(change.revision(), change.models());
            }
        } catch (Exception e) {
            Log.warnf("unreadable registry change event ignored: %s", e.toString());
        }
    }

    private void reconnect(int gen, String why) {
        if (stopped || gen != generation) {
            return;
        }
        generation++;
        catalog.followingChanges(false);
        Log.debugf("registry change stream unavailable (%s); retrying in %d ms", why, backoffMs);
        long delay = backoffMs;
        backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
        vertx.setTimer(delay, id -> connect());
    }
}
