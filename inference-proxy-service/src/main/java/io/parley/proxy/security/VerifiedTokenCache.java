package io.parley.proxy.security;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.parley.proxy.config.ProxyConfig;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * Identities of bearer JWTs that OIDC already verified, keyed by the raw token, each kept until the
 * earlier of the token's {@code exp} and {@code parley.proxy.auth.token-cache-ttl}. Verifying a JWT (RSA signature,
 * base64 and two JSON parses) was the largest per-call cost of the relay; a token seen again within its validity is
 * answered from here by {@link CachedBearerAuthenticationMechanism}. Filled by this augmentor, which sees every identity
 * OIDC builds. Parley API keys have a cache of their own, which a revocation empties on every replica
 * ({@link io.parley.proxy.keys.ApiKeyCache}).
 *
 * <p>
 * The key is the token itself (looked up by its hash code, confirmed by equality): a SHA-256 of it cost more than the
 * lookup, and the cached identity's principal holds the raw token anyway. Bounded: when full, expired entries are dropped, and
 * if none were, new tokens are verified but not cached until
 * entries expire.
 */
@ApplicationScoped
public class VerifiedTokenCache implements SecurityIdentityAugmentor {

    private static final String ROUTING_CONTEXT = RoutingContext.class.getName();

    private record Entry(SecurityIdentity identity, long expiresAtMillis) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final long ttlMillis;

    @Inject
    VerifiedTokenCache(ProxyConfig config) {
        this(config.auth().tokenCacheSize(), config.auth().tokenCacheTtl().toMillis());
    }

    VerifiedTokenCache(int maxEntries, long ttlMillis) {
        this.maxEntries = maxEntries;
        this.ttlMillis = ttlMillis;
    }

    /** The identity of a raw bearer token verified before and still valid, with the current request attached. */
    public SecurityIdentity lookup(String rawToken, RoutingContext rc) {
        if (maxEntries <= 0) {
            return null;
        }
        Entry entry = entries.get(rawToken);
        if (entry == null) {
            return null;
        }
        if (System.currentTimeMillis() >= entry.expiresAtMillis()) {
            entries.remove(rawToken, entry);
            return null;
        }
        return copy(entry.identity(), rc);
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        remember(identity);
        return Uni.createFrom().item(identity);
    }

    @Override
    public int priority() {
        return Integer.MIN_VALUE; // after any other augmentor, so the cached identity is the final one
    }

    int size() {
        return entries.size();
    }

    void remember(SecurityIdentity identity) {
        if (maxEntries <= 0 || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)
                || jwt.getRawToken() == null || jwt.getExpirationTime() <= 0) {
            return;
        }
        long now = System.currentTimeMillis();
        long expiresAt = Math.min(jwt.getExpirationTime() * 1000, now + ttlMillis);
        if (expiresAt <= now) {
            return;
        }
        if (entries.size() >= maxEntries) {
            entries.values().removeIf(e -> e.expiresAtMillis() <= now);
            if (entries.size() >= maxEntries) {
                return;
            }
        }
        // kept without the first request's RoutingContext (it would pin that request, body included, in memory)
        entries.put(jwt.getRawToken(), new Entry(copy(identity, null), expiresAt));
    }

    private static SecurityIdentity copy(SecurityIdentity identity, RoutingContext rc) {
        Map<String, Object> attributes = new HashMap<>(identity.getAttributes());
        attributes.remove(ROUTING_CONTEXT);
        if (rc != null) {
            attributes.put(ROUTING_CONTEXT, rc);
        }
        return QuarkusSecurityIdentity.builder().setPrincipal(identity.getPrincipal()).addRoles(identity.getRoles())
                .addCredentials(identity.getCredentials()).addPermissions(identity.getPermissions())
                .addAttributes(attributes).build();
    }
}
