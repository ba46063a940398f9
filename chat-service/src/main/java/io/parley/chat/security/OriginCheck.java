package io.parley.chat.security;

import java.net.URI;
import java.util.List;
import java.util.Locale;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * Whether a browser's {@code Origin} is the page's own: the origin's host and port (its scheme's default when it names
 * none) against the host the request was sent to ({@code Host}, or what forwarded headers say when
 * {@code quarkus.http.proxy.*} trusts them; a {@code Host} without a port is the origin's default port, as behind a
 * TLS-terminating ingress), or one of the configured extra origins. A request without {@code Origin} is not a
 * browser's page (browsers always send it on a WebSocket upgrade) and passes: its token or cookie is checked anyway.
 */
public final class OriginCheck {

    private OriginCheck() {
    }

    public static boolean allowed(HttpServerRequest request, List<String> extraOrigins) {
        String origin = request.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        String normalized = origin.trim().toLowerCase(Locale.ROOT);
        if (extraOrigins.stream().map(o -> o.trim().toLowerCase(Locale.ROOT)).anyMatch(normalized::equals)) {
            return true;
        }
        URI uri;
        try {
            uri = URI.create(normalized);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (uri.getHost() == null || uri.getScheme() == null) {
            return false; // "null" (sandboxed frames, file:) or garbage
        }
        int defaultPort = switch (uri.getScheme()) {
            case "https", "wss" -> 443;
            case "http", "ws" -> 80;
            default -> -2;
        };
        if (defaultPort == -2) {
            return false;
        }
        int originPort = uri.getPort() == -1 ? defaultPort : uri.getPort();
        HostAndPort target = request.authority();
        if (target == null) {
            return false;
        }
        int targetPort = target.port() <= 0 ? defaultPort : target.port();
        return uri.getHost().equalsIgnoreCase(target.host()) && originPort == targetPort;
    }
}
