package io.parley.proxy.stream;

import java.net.MalformedURLException;
import java.net.URL;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.limits.CallLimits;
import io.parley.proxy.metrics.ProxyMetrics;
import io.parley.proxy.security.Caller;
import io.parley.proxy.service.EndpointBalancer;
import io.parley.proxy.service.UpstreamCredentials;
import io.parley.proxy.usage.UsageEvent;
import io.parley.proxy.usage.UsageRecorder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;

/** Owns the non-blocking upstream HTTP client and starts one {@link RelayCall} per proxied request. */
@ApplicationScoped
public class RelayService {

    final Vertx vertx;
    /**
     * One upstream client per event loop, used only from that loop: its pooled connections live on the same event loop as
     * the client request they serve, so a relayed chunk never hops threads (a shared pool hands a request a connection
     * bound to another loop, and every chunk then waits for a second thread to be scheduled).
     */
    private final Map<Thread, HttpClient> clients = new ConcurrentHashMap<>();
    private final HttpClientOptions clientOptions;
    private final PoolOptions poolOptions;
    final ProxyConfig config;
    final EndpointBalancer balancer;
    final ProxyMetrics metrics;
    final UsageRecorder recorder;
    final ObjectMapper mapper;
    final CallLimits limits;
    final UpstreamCredentials credentials;

    RelayService(Vertx vertx, ProxyConfig config, EndpointBalancer balancer, ProxyMetrics metrics, UsageRecorder recorder,
            ObjectMapper mapper, CallLimits limits, UpstreamCredentials credentials) {
        this.credentials = credentials;
        this.vertx = vertx;
        this.limits = limits;
        this.config = config;
        this.balancer = balancer;
        this.metrics = metrics;
        this.recorder = recorder;
        this.mapper = mapper;
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) config.upstream().connectTimeout().toMillis())
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setName("parley-upstream");
        this.clientOptions = options;
        this.poolOptions = new PoolOptions().setHttp1MaxSize(config.upstream().maxConnectionsPerEndpoint())
                .setMaxWaitQueueSize(-1);
    }

    /** Parsed upstream URLs by absolute URI, so a call does not parse its endpoint's URL again (bounded). */
    private final Map<String, URL> upstreamUrls = new ConcurrentHashMap<>();

    /** Request options aimed at {@code absoluteUri}. */
    RequestOptions upstreamOptions(String absoluteUri) {
        URL url = upstreamUrls.get(absoluteUri);
        if (url == null) {
            try {
                url = new URL(absoluteUri);
            } catch (MalformedURLException e) {
                return new RequestOptions().setAbsoluteURI(absoluteUri); // fails the call as before
            }
            if (upstreamUrls.size() >= 1024) {
                upstreamUrls.clear();
            }
            upstreamUrls.put(absoluteUri, url);
        }
        return new RequestOptions().setAbsoluteURI(url);
    }

    /** The upstream client of the calling event loop. */
    HttpClient client() {
        return clients.computeIfAbsent(Thread.currentThread(), t -> vertx.createHttpClient(clientOptions, poolOptions));
    }

    @PreDestroy
    void close() {
        clients.values().forEach(HttpClient::close);
    }

    public void relay(RoutingContext rc, CallContext call) {
        new RelayCall(this, rc, call).start();
    }

    /** Calls relaying now (the drain at shutdown waits for them, then ends those still open). */
    private final Set<RelayCall> open = ConcurrentHashMap.newKeySet();
    private volatile boolean shuttingDown;

    void opened(RelayCall call) {
        open.add(call);
    }

    void closed(RelayCall call) {
        open.remove(call);
    }

    /** Calls relaying now. */
    public int openCalls() {
        return open.size();
    }

    /** Set once the drain time is over: a client leaving from now on was cut by the shutdown, not by itself. */
    boolean shuttingDown() {
        return shuttingDown;
    }

    /** Ends every call still open with {@code server_shutting_down} (each on its own event loop). */
    public void interruptOpenCalls() {
        shuttingDown = true;
        for (RelayCall call : open) {
            call.onContext(call::shutDown);
        }
    }

    /** Usage for a call that ended before any upstream was chosen (bad request, unknown or unready model). */
    public void recordRejected(String requestId, String correlationId, Caller caller, String apiKeyId, String source,
            Map<String, String> metadata, EndpointKind kind, boolean stream, String model, Instant startedAt,
            long startNanos, String errorType) {
        double latencyMs = (System.nanoTime() - startNanos) / 1e6;
        recorder.record(new UsageEvent(requestId, startedAt.toString(), caller.name(),
                caller.recordedSubject().orElse(null), null, apiKeyId, model, null, null,
                kind.usageName(), stream, 0, 0, null, latencyMs, null, UsageEvent.ERROR, errorType, correlationId,
                metadata, source, List.of()));
    }
}
