package io.parley.proxy.stream;

import java.net.MalformedURLException;
import java.net.URL;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.contracts.EndpointKind;
import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.metrics.ProxyMetrics;
import io.parley.proxy.service.EndpointBalancer;
import io.parley.proxy.service.UpstreamCredentials;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * Opens the upstream side of calls ({@link UpstreamAttempt}, one per call) with the non-blocking upstream HTTP clients:
 * one client per event loop, used only from that loop. Its pooled connections live on the same event loop as the
 * client request they serve, so a relayed chunk never hops threads (a shared pool hands a request a connection bound to
 * another loop, and every chunk then waits for a second thread to be scheduled).
 */
@ApplicationScoped
public class UpstreamConnector {

    private final Vertx vertx;
    private final EndpointBalancer balancer;
    private final UpstreamCredentials credentials;
    private final ProxyMetrics metrics;
    private final UpstreamErrors errors;
    private final int maxAttempts;
    private final Map<Thread, HttpClient> clients = new ConcurrentHashMap<>();
    private final HttpClientOptions clientOptions;
    private final PoolOptions poolOptions;
    /** Parsed upstream URLs by absolute URI, so a call does not parse its endpoint's URL again (bounded). */
    private final Map<String, URL> upstreamUrls = new ConcurrentHashMap<>();

    UpstreamConnector(Vertx vertx, ProxyConfig config, EndpointBalancer balancer, UpstreamCredentials credentials,
            ProxyMetrics metrics, ObjectMapper mapper) {
        this.vertx = vertx;
        this.balancer = balancer;
        this.credentials = credentials;
        this.metrics = metrics;
        this.errors = new UpstreamErrors(mapper);
        this.maxAttempts = config.upstream().maxAttempts();
        this.clientOptions = new HttpClientOptions()
                .setConnectTimeout((int) config.upstream().connectTimeout().toMillis())
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setName("parley-upstream");
        this.poolOptions = new PoolOptions().setHttp1MaxSize(config.upstream().maxConnectionsPerEndpoint())
                .setMaxWaitQueueSize(-1);
    }

    /** The upstream side of one call; {@link UpstreamAttempt#start()} connects. On the call's event loop. */
    UpstreamAttempt open(RelayRequest request, RegistryModel model, UpstreamAttempt.Listener listener) {
        return new UpstreamAttempt(this, balancer, credentials, metrics, errors, maxAttempts, request, model, listener);
    }

    /** How upstream error bodies are read. */
    UpstreamErrors errors() {
        return errors;
    }

    /** Request options aimed at {@code absoluteUri}. */
    RequestOptions options(String absoluteUri) {
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

    /** The upstream URL of {@code kind}'s path at an endpoint's base URL (with or without {@code /v1}). */
    static String upstreamUri(String base, EndpointKind kind) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        // the proxy's own mapping: Responses and Messages are translated to upstream chat completions
        String path = kind == EndpointKind.COMPLETIONS ? "/v1/completions" : "/v1/chat/completions";
        if (b.endsWith("/v1")) {
            path = path.substring(3);
        }
        return b + path;
    }

    @PreDestroy
    void close() {
        clients.values().forEach(HttpClient::close);
    }
}
