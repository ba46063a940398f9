package io.parley.proxy.rest;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.parley.proxy.config.EdgeConfig;
import io.parley.proxy.service.ServiceError;
import io.quarkus.logging.Log;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * What a client may hold before it has shown who it is or sent what it declared (issue 15, ADR 0014):
 * <ul>
 * <li>a request with a body from a caller who is not authenticated is answered 401 before a byte of the body is
 * read, and its connection is closed, so the rest of the body is never read;</li>
 * <li>any answer that goes out before the request body was read closes the connection after it (413, 401, 403...);
 * </li>
 * <li>a body that stops arriving for {@code parley.edge.body-idle-timeout} is answered 408 and its connection closed;
 * </li>
 * <li>{@code quarkus.http.idle-timeout} (short) closes a connection that is silent while no request is in flight: a
 * request head that stops half-way, a kept-alive connection nobody uses. While a request is being served the idle
 * timeout is suspended, so a long generation with nothing to send yet is not cut.</li>
 * </ul>
 */
@ApplicationScoped
public class EdgeGuard {

    /** Before CORS (-300), authentication (-200) and authorization (-100): Quarkus orders its filters by -priority. */
    static final int ORDER_HOOKS = -5000;
    /** After authentication and authorization, before any route reads a body. */
    static final int ORDER_AUTHENTICATED = -90;
    /** The name Vert.x gives the connection's idle handler in the Netty pipeline ({@code HttpServerWorker}). */
    private static final String IDLE_HANDLER = "idle";

    private final Vertx vertx;
    private final EdgeConfig config;
    private final long connectionIdleMillis;

    EdgeGuard(Vertx vertx, EdgeConfig config,
            @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.http.idle-timeout") java.time.Duration idle) {
        this.vertx = vertx;
        this.config = config;
        this.connectionIdleMillis = idle.toMillis();
    }

    void install(@Observes Router router) {
        router.route().order(ORDER_HOOKS).handler(this::hooks);
        router.route().order(ORDER_AUTHENTICATED).handler(this::requireCallerBeforeBody);
    }

    /** Closes the connection after an answer that did not wait for the body; starts the body's idle clock. */
    private void hooks(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        suspendConnectionIdleTimeout(rc);
        if (!declaresBody(request)) {
            rc.next();
            return;
        }
        rc.addHeadersEndHandler(v -> {
            if (!request.isEnded()) {
                rc.response().putHeader(HttpHeaders.CONNECTION, "close");
            }
        });
        rc.addEndHandler(v -> {
            if (!request.isEnded()) {
                request.connection().close();
            }
        });
        watchBody(rc);
        rc.next();
    }

    /** Answers 401 to a request with a body from an unauthenticated caller, before anything reads the body. */
    private void requireCallerBeforeBody(RoutingContext rc) {
        if (!declaresBody(rc.request()) || rc.request().isEnded()) {
            rc.next();
            return;
        }
        QuarkusHttpUser.getSecurityIdentity(rc, null).subscribe().with(identity -> {
            if (identity == null || identity.isAnonymous()) {
                reject(rc, ServiceError.unauthorized("a bearer token or Parley API key is required"));
            } else {
                rc.next();
            }
        }, failure -> reject(rc, ServiceError.unauthorized("invalid or expired credentials")));
    }

    private void reject(RoutingContext rc, ServiceError error) {
        if (rc.response().ended()) {
            return;
        }
        rc.response().putHeader(HttpHeaders.CONNECTION, "close");
        OpenAiRoutes.send(rc, error);
    }

    /** A periodic check of the body's progress: no new byte for the idle timeout answers 408 and closes. */
    private void watchBody(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        long idleMillis = config.bodyIdleTimeout().toMillis();
        long tick = Math.max(100, Math.min(1000, idleMillis / 4));
        long[] last = { request.bytesRead(), System.nanoTime() };
        vertx.setPeriodic(tick, tick, id -> {
            if (request.isEnded() || rc.response().closed()) {
                vertx.cancelTimer(id);
                return;
            }
            long read = request.bytesRead();
            long now = System.nanoTime();
            if (read != last[0]) {
                last[0] = read;
                last[1] = now;
                return;
            }
            if (TimeUnit.NANOSECONDS.toMillis(now - last[1]) < idleMillis) {
                return;
            }
            vertx.cancelTimer(id);
            Log.infof("request body of %s %s stalled after %d bytes for %s: answered 408 and closed",
                    request.method(), request.path(), read, config.bodyIdleTimeout());
            if (rc.response().headWritten()) {
                request.connection().close();
            } else {
                rc.response().putHeader(HttpHeaders.CONNECTION, "close");
                OpenAiRoutes.send(rc,
                        new ServiceError(ServiceError.Kind.REQUEST_TIMEOUT, "the request body stopped arriving for "
                                + config.bodyIdleTimeout().toSeconds() + " s", "invalid_request_error", null,
                                "request_timeout"));
            }
        });
    }

    /**
     * While a request is served its connection's idle timeout is off (the body has its own, the answer may take long
     * to start); it is back once the answer has ended, for the next request head. HTTP/1 only: an HTTP/2 connection
     * carries many requests.
     */
    private void suspendConnectionIdleTimeout(RoutingContext rc) {
        if (rc.request().version() == HttpVersion.HTTP_2
                || !(rc.request().connection() instanceof io.vertx.core.net.impl.ConnectionBase connection)) {
            return;
        }
        io.netty.channel.ChannelPipeline pipeline = connection.channel().pipeline();
        if (pipeline.get(IDLE_HANDLER) == null) {
            return;
        }
        pipeline.remove(IDLE_HANDLER);
        rc.addEndHandler(v -> {
            if (connection.channel().isActive() && pipeline.get(IDLE_HANDLER) == null) {
                pipeline.addFirst(IDLE_HANDLER,
                        new io.netty.handler.timeout.IdleStateHandler(0, 0, connectionIdleMillis, TimeUnit.MILLISECONDS));
            }
        });
    }

    static boolean declaresBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                return Long.parseLong(length.trim()) > 0;
            } catch (NumberFormatException e) {
                return true;
            }
        }
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    }
}
