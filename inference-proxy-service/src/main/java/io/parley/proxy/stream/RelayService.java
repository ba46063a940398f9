package io.parley.proxy.stream;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.metrics.ProxyMetrics;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * Starts one {@link RelayCall} per proxied request with its collaborators, and knows the calls open now (the drain at
 * shutdown waits for them, then ends those still open).
 */
@ApplicationScoped
public class RelayService {

    private final Vertx vertx;
    private final UpstreamConnector upstreams;
    private final CallOutcomes outcomes;
    private final ProxyMetrics metrics;
    private final ObjectMapper mapper;
    private final ErrorStatus errorStatus;
    private final RelayCall.Timeouts timeouts;
    private final Set<RelayCall> open = ConcurrentHashMap.newKeySet();
    private volatile boolean shuttingDown;

    RelayService(Vertx vertx, ProxyConfig config, UpstreamConnector upstreams, CallOutcomes outcomes,
            ProxyMetrics metrics, ObjectMapper mapper, ErrorStatus errorStatus) {
        this.errorStatus = errorStatus;
        this.vertx = vertx;
        this.upstreams = upstreams;
        this.outcomes = outcomes;
        this.metrics = metrics;
        this.mapper = mapper;
        this.timeouts = new RelayCall.Timeouts(config.upstream().firstTokenTimeout(),
                config.upstream().responseTimeout(), config.upstream().idleTimeout(),
                config.limits().maxStreamDuration());
    }

    /** Relays {@code request} to {@code model} and answers the client of {@code rc}; on its event loop. */
    public void relay(RoutingContext rc, RelayRequest request, RegistryModel model) {
        new RelayCall(request, model, rc.response(), vertx, timeouts, upstreams, outcomes, metrics, mapper, errorStatus,
                this)
                .start();
    }

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
}
