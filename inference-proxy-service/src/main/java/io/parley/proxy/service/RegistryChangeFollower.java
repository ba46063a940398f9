package io.parley.proxy.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.client.ServiceTokens;
import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.sse.ChunkInspector;
import io.parley.proxy.sse.SseEventSplitter;
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
 * Follows the registry's change stream ({@code GET /v1/models/changes}, docs/architecture.md): a {@code snapshot}
 * event {@code {"revision","stale","models":[...]}} replaces the view, a {@code delta} event
 * {@code {"revision","base_revision","stale","upserted":[...],"removed":[ids]}} changes only the entries it names, so a
 * model becoming ready or unready reaches the proxy within the registry's own reaction time and a burst of changes costs
 * one entry each, not the whole list. A delta whose {@code base_revision} is not the revision held means an event was
 * missed: the stream is dropped and re-opened, and the snapshot it starts with replaces the view. The legacy
 * {@code models} event (the whole list on every change) is still accepted as a snapshot. Reconnects with backoff; while
 * disconnected the periodic refresh of {@link ModelCatalog} keeps the view current.
 */
@ApplicationScoped
public class RegistryChangeFollower {

    /** The registry's order (name, namespace, deployment): which entry of a shared name is first does not drift. */
    private static final Comparator<RegistryModel> ORDER = Comparator
            .comparing((RegistryModel m) -> m.name())
            .thenComparing(m -> m.namespace() == null ? "" : m.namespace())
            .thenComparing(m -> m.deployment() == null ? "" : m.deployment());

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
    /** The view as of {@link #revision}, by entry id; touched on the event loop only. */
    private final Map<String, RegistryModel> entries = new HashMap<>();
    private long revision = -1;
    private long gaps;

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
        revision = -1; // a new stream starts with a snapshot
        SseEventSplitter splitter = new SseEventSplitter();
        response.handler(chunk -> splitter.feed(chunk, event -> onEvent(gen, response, event)));
        response.endHandler(v -> reconnect(gen, "stream ended"));
        response.exceptionHandler(e -> reconnect(gen, e.toString()));
    }

    private void onEvent(int gen, HttpClientResponse response, Buffer event) {
        if (gen != generation) {
            return; // a stream being dropped
        }
        String data = ChunkInspector.data(event);
        if (data == null || data.isBlank()) {
            return; // keep-alive comment
        }
        String name = eventName(event);
        try {
            JsonNode body = mapper.readTree(data);
            if ("snapshot".equals(name) || "models".equals(name)) {
                entries.clear();
                for (JsonNode m : body.path("models")) {
                    put(m);
                }
                applied(body.path("revision").asLong());
            } else if ("delta".equals(name)) {
                long base = body.path("base_revision").asLong(-1);
                if (revision < 0 || base != revision) {
                    gaps++;
                    Log.infof("registry change stream: delta from revision %d while holding %d; re-reading the snapshot",
                            base, revision);
                    reconnect(gen, "missed a revision");
                    response.request().reset();
                    return;
                }
                for (JsonNode id : body.path("removed")) {
                    entries.remove(id.asText());
                }
                for (JsonNode m : body.path("upserted")) {
                    put(m);
                }
                applied(body.path("revision").asLong());
            }
        } catch (Exception e) {
            Log.warnf("unreadable registry change event ignored: %s", e.toString());
        }
    }

    private void put(JsonNode entry) throws IOException {
        RegistryModel m = mapper.treeToValue(entry, RegistryModel.class);
        if (m.name() == null) {
            return;
        }
        // the registry's stable key; an entry without one (an older registry) is keyed the same way
        String id = entry.hasNonNull("id") ? entry.get("id").asText()
                : (m.namespace() == null ? "static" : m.namespace()) + "/" + m.deployment() + "/" + m.name();
        entries.put(id, m);
    }

    private void applied(long newRevision) {
        revision = newRevision;
        List<RegistryModel> view = new ArrayList<>(entries.values());
        view.sort(ORDER);
        catalog.applyChange(newRevision, view);
    }

    /** The revision the proxy's view is at ({@code -1} before the first snapshot of a connection). */
    long revision() {
        return revision;
    }

    /** Deltas that did not follow on from the revision held (each made the follower re-read the snapshot). */
    long gaps() {
        return gaps;
    }

    /** The {@code event:} name of an SSE event, or {@code message} when it has none. */
    static String eventName(Buffer event) {
        for (String line : event.toString(StandardCharsets.UTF_8).split("\r?\n")) {
            if (line.startsWith("event:")) {
                return line.substring(6).trim();
            }
        }
        return "message";
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
