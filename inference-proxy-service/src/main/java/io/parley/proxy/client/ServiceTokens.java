package io.parley.proxy.client;

import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import io.parley.proxy.config.ProxyConfig;
import io.quarkus.arc.Unremovable;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;

/**
 * The proxy's own access token (client credentials grant of client {@code parley-proxy}), cached until shortly before it
 * expires. Disabled by {@code parley.proxy.service-auth.enabled=false} (tests), then no token is sent.
 */
@Unremovable
@ApplicationScoped
public class ServiceTokens {

    private static final long EXPIRY_SKEW_SECONDS = 30;

    private final boolean enabled;
    private final Instance<OidcClient> oidcClient;
    private volatile Tokens tokens;

    ServiceTokens(ProxyConfig config, Instance<OidcClient> oidcClient) {
        this.enabled = config.serviceAuth().enabled();
        this.oidcClient = oidcClient;
    }

    /** A bearer token for service-to-service calls, or empty when service auth is off. */
    public Uni<Optional<String>> accessToken() {
        if (!enabled) {
            return Uni.createFrom().item(Optional.empty());
        }
        Tokens current = tokens;
        if (current != null && !expiresSoon(current)) {
            return Uni.createFrom().item(Optional.of(current.getAccessToken()));
        }
        return oidcClient.get().getTokens().invoke(t -> tokens = t).map(t -> Optional.of(t.getAccessToken()));
    }

    private static boolean expiresSoon(Tokens t) {
        Long expiresAt = t.getAccessTokenExpiresAt();
        return expiresAt != null && Instant.now().getEpochSecond() + EXPIRY_SKEW_SECONDS >= expiresAt;
    }
}
